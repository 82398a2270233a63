"""Settings: file, environment overrides, and errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from cohesion.config import ConfigError, Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cohesion.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(None, environ={})
    assert settings.config_path is None
    assert settings.sources == []
    assert settings.database.url == f"sqlite:///{tmp_path / 'cohesion.db'}"


def test_file_values_and_relative_paths(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[database]
url = "sqlite:///data/c.db"
[locality]
name = "Johnson County"
timezone = "America/Chicago"
places = [{ name = "Olathe", aliases = ["OP"], kind = "city" }]
[[sources]]
name = "r-olathe"
platform = "reddit"
subreddits = ["olathe"]
""",
    )
    settings = load_settings(path, environ={})
    assert settings.database.url == f"sqlite:///{tmp_path / 'data' / 'c.db'}"
    assert settings.locality.places[0].aliases == ["OP"]
    assert settings.source("r-olathe").options == {"subreddits": ["olathe"]}
    assert settings.resolve(settings.privacy.key_file) == tmp_path / "cohesion.key"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[review]\nport = 8080\n")
    settings = load_settings(
        path,
        environ={
            "COHESION_REVIEW__PORT": "9001",
            "COHESION_DATABASE_URL": "postgresql+psycopg://u@h/db",
            "COHESION_LOCALITY__PLACES": '[{"name": "Lenexa"}]',
            "COHESION_PSEUDONYM_KEY": "not a setting",
        },
    )
    assert settings.review.port == 9001
    assert settings.database.url == "postgresql+psycopg://u@h/db"
    assert settings.locality.places[0].name == "Lenexa"


def test_config_path_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[locality]\nname = "From env"\n')
    assert load_settings(None, environ={"COHESION_CONFIG": str(path)}).locality.name == "From env"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[locality]\ntimezone = 'Mars/Base'\n",
            "locality.timezone: unknown time zone 'Mars/Base'",
        ),
        ("[review]\nport = 'eighty'\n", "review.port: Input should be a valid integer"),
        ("[locality]\nnmae = 'x'\n", "locality.nmae: unknown setting"),
        (
            "[retention]\nunflagged_days = 90\nflagged_days = 30\n",
            "retention: flagged_days must not",
        ),
        ("[[sources]]\nname = 'a'\nplatform = 'myspace'\n", "sources[0].platform: Input should be"),
        (
            "[[sources]]\nname = 'a'\nplatform = 'rss'\n[[sources]]\nname = 'a'\nplatform = 'rss'\n",
            "two sources are named 'a'",
        ),
        ("[locality\n", "not valid TOML"),
        ("[schedule]\ncrawl_time = '25:99'\n", "schedule.crawl_time"),
    ],
)
def test_errors_name_the_file_and_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_environment_errors_name_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^COHESION_REVIEW__PORT: review.port"):
        load_settings(write(tmp_path, ""), environ={"COHESION_REVIEW__PORT": "abc"})
    with pytest.raises(
        ConfigError, match="COHESION_NOSUCH__KEY: 'nosuch' is not a settings section"
    ):
        load_settings(write(tmp_path, ""), environ={"COHESION_NOSUCH__KEY": "1"})


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "absent.toml", environ={})
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(binary, environ={})


@pytest.mark.parametrize("name", ["starter.toml", "johnson-county.toml"])
def test_shipped_examples_are_valid(name: str) -> None:
    settings = load_settings(REPO_ROOT / "examples" / name, environ={})
    assert isinstance(settings, Settings)


def test_readme_documents_every_setting() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    missing = []
    for section_name, field in Settings.model_fields.items():
        if section_name in {"config_path", "sources", "watchlist", "events"}:
            continue
        section = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
        for key in type(section).model_fields:
            if f"`{section_name}.{key}`" not in readme:
                missing.append(f"{section_name}.{key}")
    assert not missing, f"README 'Settings' lacks: {missing}"


def test_watchlist_aliases_must_name_one_entry(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[watchlist]]
name = "Dana Whitlock"
kind = "person"
aliases = ["Commissioner Whitlock", "Whitlock"]
[[watchlist]]
name = "Rob Whitlock"
kind = "person"
aliases = ["WHITLOCK"]
""",
    )
    with pytest.raises(
        ConfigError, match="'WHITLOCK' names both 'Dana Whitlock' and 'Rob Whitlock'"
    ):
        load_settings(path, environ={})


def test_watchlist_entry_without_aliases_uses_its_name(tmp_path: Path) -> None:
    path = write(tmp_path, '[[watchlist]]\nname = "City Hall"\nkind = "institution"\n')
    entry = load_settings(path, environ={}).watchlist[0]
    assert entry.names() == ["City Hall"]
    bad = write(tmp_path, '[[watchlist]]\nname = "X Y"\nkind = "person"\naliases = [" "]\n')
    with pytest.raises(ConfigError, match=r"watchlist\[0\].aliases: entries must have"):
        load_settings(bad, environ={})


def test_watchlist_refuses_lowercase_one_word_aliases(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[watchlist]]\nname = "County Court"\nkind = "institution"\naliases = ["court"]\n',
    )
    with pytest.raises(
        ConfigError, match="one-word alias 'court' must be written with its capitals"
    ):
        load_settings(path, environ={})

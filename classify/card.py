"""The model card: a JSON summary (for the store's `model_versions`) and MODEL_CARD.md."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cohesion.classify.data import DATASETS, Example
from cohesion.classify.language import MAX_ENGLISH, MIN_CONFIDENCE, MIN_WORDS
from cohesion.classify.prediction import LABELS

if TYPE_CHECKING:
    from cohesion.classify.model import Model

DEFAULT_COMMAND = "cohesion train --out models/default"

SPLITS_NOTE = (
    "davidson2017 and the project's examples keep their own train/dev/test splits. "
    "implicit_hate2021 and covid_vaccine_conspiracy2022 ship train and dev only: their dev "
    "rows were halved by a stable hash of the row id (sha256, first byte even = 'tune'), "
    "the tune half calibrates and sets thresholds, the other half is the held-out test. "
    "gab_hate2022 (a real feed): its dev split is the held-out test; its train split is "
    "split by a stable hash (sha256 of 'feed:<id>', first byte < 51, about 20%) into the "
    "feed calibration slice, never trained on, and the training rows. "
    "Label heads use only rows that annotate the label (null = not annotated, never 0)."
)
METHOD_NOTE = (
    "Text is normalised (NFKC, accents and zero-width characters dropped, leetspeak and "
    "spaced-out letters undone, URLs and mentions replaced by placeholders, hashtags split); "
    "then spelling variants of lexicon words are restored (classify/spelling.py: masked "
    "letters 'n****rs', a stray space 'ki kes', doubled letters 'staab', a dropped letter in "
    "long slurs), never producing anything but a lexicon word. "
    "Features: hashed word 1-2-grams (2^19) and char_wb 2-5-grams (2^20), binary, L2-normalised, "
    "plus rule features from a spacy.blank('en') pipeline (PhraseMatcher lexicons for threats, "
    "narratives, slurs, identity terms and context cues: quoting, condemning, news reports, "
    "figurative and literal violent words, legitimate action, negation, counter-speech, "
    "in-group use; Matcher threat frames; doxxing regexes) and their interactions. One "
    "LogisticRegression per head (liblinear, class_weight=balanced, C=1 for hate and 2 for "
    "the other three labels, 1 for sub-labels; hate's C was chosen on the selection rows by F1 "
    "at the feed threshold), the project's examples weighted 6x against the public "
    "rows, n-gram coefficients trimmed to the 60,000 (labels) or 8,000 (sub-labels) largest, "
    "then a Platt sigmoid. Hate vs offensive: davidson2017's offensive-but-not-"
    "hate tweets are hate negatives, and the share of them flagged hate is reported below. "
    "Structure-aware features (issue #13): words inside quotation marks, after a reporting or "
    "naming verb ('calling them X', 'he said ...', 'spray-painted ...') and after a negation "
    "get a second, scoped feature (q:word, neg:word), so a slur quoted or named to condemn it "
    "can weigh differently from the same slur asserted. gab_hate2022's real Gab posts are in "
    "the hate and threat heads (positives and ordinary negatives). Four linear families are "
    "fitted per label (table below) and the one with the best mean-over-datasets average "
    "precision on the held-out selection rows (dev + feed calibration slice) is shipped."
)
DECISION_NOTE = (
    "A label is flagged when its calibrated score reaches its threshold (see Thresholds). "
    "Texts with no "
    "letters or digits score 0. Confidently non-English texts (py3langid top language not "
    f"English with p >= {MIN_CONFIDENCE}, English p < {MAX_ENGLISH}, >= {MIN_WORDS} words) get no "
    "flags; scores are kept. An explicit threat against a government target or a protected "
    "group is flagged threat whatever the head's score: a positive threat frame (first-person "
    "intent, a call on others or an imperative, a wish; not a negated one) with an official, "
    "staff, law-enforcement, institution, watchlist, identity-group, slur or community-place "
    "cue, no quoting, reporting or figurative cue in the post and no condemning, "
    "counter-speech, negation or question cue in the frame's own sentence (its score is "
    "raised to the threshold); 'death to X', running someone over, harm to the body ('break "
    "his jaw'), arson of a place ('burn the office down') and fetching a rope are such "
    "frames. A call "
    "for violence at anyone is flagged threat too: a positive frame on a killing word (kill, "
    "shoot, hang, lynch, gas, exterminate...: 'those traitors must hang', 'kill them all') "
    "with nothing in the post that defuses it, unless it is a report in the perfect ('have "
    "been murdered'), a vaccine shot, company ('hang out with') or harm to oneself. A text "
    "whose only threat frame is negated ('nobody should hurt her'), or whose every violent "
    "word is used harmlessly ('hang out with', 'the flu shot', inside a named figure of "
    "speech such as 'kill this ordinance', 'destroy them at the ballot box') with no weapon "
    "or veiled cue, is not flagged threat. Such a threat aimed at a "
    "protected group or a community place is also hate (CODEBOOK: 'a threat against a mosque "
    "is threat and hate'). Mentioned, not asserted (classify/scopes.py): a post whose every "
    "slur and dehumanising phrase lies inside a refusing frame ('I don't think X are ...', "
    "'it is not true that ...') or inside an attributed claim or quote that the post "
    "condemns or answers ('anyone who says X are rats should be ashamed') is not flagged "
    "hate; conversely a plural slur aimed at its group ('these <slur>s', '<slur>s should go "
    "home') or a group said to be vermin ('<group> are parasites', '... they are a plague') "
    "outside such frames and with no in-group cue is flagged hate (score raised to the "
    "threshold), and so is plain hostility to a whole group that opens its clause ('I hate "
    "<group>', 'get rid of all the <group>', '<group> are disgusting / greedy / sneaky'); a "
    "post that is nothing but solidarity slogans ('Black lives matter!') is not flagged "
    "hate (on real feeds such slogans are mostly quoted by the other side, so only a post "
    "of slogans alone). A phone number, street or e-mail address that comes with an office cue "
    "(office hours, city hall, a .gov address) and no private, exposing or threatening cue "
    "is an office's public contact and is not flagged doxxing. "
    "A threat whose target is an official, staff, law enforcement or "
    "an institution is also anti_government (CODEBOOK convention; its score is raised to the "
    "threat score). Long texts are read in windows of 4,000 characters (400 overlapping); each "
    "head's score is its maximum over the windows, and the evidence comes from the window "
    "with the highest margin over a threshold. Cost is bounded: at most the first 1,000,000 "
    "characters (250 windows) are read."
)


def _data_summary(examples: Sequence[Example], files: Mapping[str, Path]) -> list[dict[str, Any]]:
    out = []
    by_source: dict[str, list[Example]] = {}
    for ex in examples:
        by_source.setdefault(ex.source, []).append(ex)
    for source, rows in sorted(by_source.items()):
        info = DATASETS.get(source)
        splits = Counter(ex.split for ex in rows)
        positives = {
            label: {
                split: sum(1 for ex in rows if ex.split == split and ex.labels[label] == 1)
                for split in ("train", "dev", "test")
            }  # fmt: skip
            for label in LABELS
            if any(ex.labels[label] is not None for ex in rows)
        }
        out.append({
            "name": source,
            "file": files[source].name if source in files else None,
            "licence": info.licence if info else "unknown (user-supplied)",
            "origin": info.origin if info else "user-supplied",
            "use": info.note if info else "",
            "rows": dict(splits),
            "labels_annotated": sorted(positives),
            "positives": positives,
        })  # fmt: skip
    return out


def build(model: Model, examples: Sequence[Example], files: Mapping[str, Path],
          metrics: Mapping[str, Any], heads: Sequence[Mapping[str, Any]], today: dt.date,
          command: str | None) -> dict[str, Any]:  # fmt: skip
    return {
        "name": model.name,
        "version": model.version,
        "date": today.isoformat(),
        "command": command or DEFAULT_COMMAND,
        "data": _data_summary(examples, files),
        "method": METHOD_NOTE,
        "splits": SPLITS_NOTE,
        "decision_rules": DECISION_NOTE,
        "thresholds": model.thresholds,
        "threshold_sources": {
            h["name"]: {
                k: h[k]
                for k in (
                    "family",
                    "calibrated_on",
                    "calibration_rows",
                    "calibration_positives",
                    "target_precision",
                    "threshold_rule",
                    "threshold",
                )
                if k in h
            }
            for h in heads
            if h["name"] in LABELS
        },  # fmt: skip
        "families": {h["name"]: h["families"] for h in heads if h.get("families")},
        "heads": [
            {
                k: h[k]
                for k in (
                    "name",
                    "trained",
                    "train_rows",
                    "train_positives",
                    "dev_rows",
                    "dev_positives",
                )
                if k in h
            }
            for h in heads
        ],  # fmt: skip
        "metrics": dict(metrics),
        "contains_training_text": False,
    }


def _table(rows: list[list[str]], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def markdown(card: Mapping[str, Any]) -> str:
    m = card["metrics"]
    parts = [
        f"# Model card: {card['name']} ({card['version']})",
        f"Trained {card['date']} with:\n\n```\n{card['command']}\n```",
        "Run from the repository root; `--data DIR` points at a folder holding the public "
        "datasets (default `training-data` in the working directory, filled by `scripts/fetch_training_data.py`: see docs/training-data.md), and the project's own examples are read from "
        "`classify/examples/cohesion_examples.jsonl`. The directory holds no training text: "
        "hashed n-gram weights, lexicons, thresholds and this card.",
        "## Training data",
        _table(
            [
                [
                    d["name"],
                    d["licence"],
                    ", ".join(f"{k} {v}" for k, v in d["rows"].items()),
                    ", ".join(d["labels_annotated"]) or "-",
                    d["use"],
                ]
                for d in card["data"]
            ],
            ["dataset", "licence", "rows", "labels annotated", "use"],
        ),  # fmt: skip
        "incivility_congress2020 (GPL-3.0) is not in the default model; `cohesion evaluate` may "
        "use it for diagnostics.",
        "## Method",
        card.get("method", METHOD_NOTE),
        "## Splits",
        card["splits"],
        "## Decision rules",
        card["decision_rules"],
        "## Thresholds",
        THRESHOLD_NOTE,
        _thresholds_table(card),
        "## Targets (issue #13)",
        _targets_table(m),
        "## Held-out test metrics: shipped model beside the plain baseline",
        "Flags after all decision rules. Baseline: "
        + str(m.get("baseline", {}).get("description", "not trained in this run"))
        + ".",
        _compare_table(m),
        _compare_note(m),
        "## Real-feed flag rates and other diagnostics (shipped / baseline)",
        _diagnostics_table(m),
        "## Model families compared (raw head scores, each family calibrated and thresholded "
        "the same way; the shipped one is marked)",
        _families_table(card),
        "## Precision-recall curves (held-out test splits, shipped model's scores)",
        "\n".join(f"![{label}]({name})" for label, name in m.get("curves", {}).items())
        or "No curves were drawn.",
    ]
    if m.get("sublabels"):
        parts.append("Sub-labels, end to end on gold-positive test posts (micro):")
        parts.append(_table([[k, f"{v['precision']:.3f}", f"{v['recall']:.3f}", f"{v['f1']:.3f}"]
                             for k, v in m["sublabels"].items()],
                            ["sub-label", "precision", "recall", "F1"]))  # fmt: skip
    functional = m.get("functional")
    if functional:
        parts.append("## Functional hard cases (classify/examples/hardcases.jsonl)")
        base = m.get("baseline", {}).get("functional")
        parts.append(f"{functional['passed']} of {functional['cases']} cases pass"
                     + (f" (baseline: {base['passed']})" if base else "") + ". The cases "
                     "were written for this suite, not taken from training data, and nothing "
                     "was fitted on them. One disclosure: the 0.5 floor on thresholds set on "
                     "a dev split was chosen (issue #4) after seeing benign synthetic posts "
                     "flagged at the dev-F1 thresholds, with the hard-case counts visible. "
                     "The structure rules (scopes.py) were written against a separate, "
                     "generated probe set (scripts/make_probes.py) with the hard-case "
                     "failures visible; two details (a post, comment or message, and a "
                     "commenter, poster, caller or speaker, as the speaker of an "
                     "attributed claim) were added after reading hard-case failures. The "
                     "call-for-violence, harmless-use and sentence-scope threat rules "
                     "(decide.py) were written from the author's own sentences and "
                     "measured on the train, calibration and dev splits' posts, not on test splits or "
                     "these cases.")  # fmt: skip
        parts.append(_table([[k, str(v["n"]), f"{v['pass_rate']:.2f}"]
                             for k, v in functional["by_functionality"].items()],
                            ["functionality", "cases", "pass rate"]))  # fmt: skip
        parts.append("Failures:")
        parts.append("\n".join(f"- `{f['id']}` ({f['functionality']}): expected {f['expect']}, "
                               f"got {f['flags'] or 'no flags'}" for f in functional["failures"])
                     or "- none")  # fmt: skip
    parts.append("## Heads")
    parts.append(_table([[h["name"], "yes" if h.get("trained") else "no (rules only)",
                          str(h.get("train_rows", 0)), str(h.get("train_positives", 0))]
                         for h in card["heads"]], ["head", "trained", "train rows", "positives"]))  # fmt: skip
    parts.append(LIMITS)
    return "\n\n".join(parts) + "\n"


THRESHOLD_NOTE = (
    "Each label's threshold is the lowest calibrated score at which its flags reach the "
    "target precision (`classifier.target_precision`, default 0.5, 0.25 for threat) on "
    "held-out rows: for hate and threat, the feed calibration slice (a stable 20% hash "
    "slice of gab_hate2022's train split, never trained on), where the Platt sigmoid is "
    "fitted too, so scores are calibrated to a real feed's base rate (threat, whose feed "
    "positives are few, may go lower as long as it flags at most 0.8% of the slice's "
    "ordinary posts); for anti_government and doxxing, which no feed annotates, the dev "
    "split, then raised where needed so that the label flags at most 3% (anti_government) "
    "or 0.3% (doxxing) of the feed calibration slice. `cohesion train --with-reviews` "
    "re-tunes a label's threshold from the analysts' calibration-queue reviews once they "
    "hold enough of them (the rule column says so)."
)


def _thresholds_table(card: Mapping[str, Any]) -> str:
    rows = []
    for label, value in card["thresholds"].items():
        src = card.get("threshold_sources", {}).get(label, {})
        rows.append([label, f"{value:.3f}", str(src.get("family", "-")),
                     f"{src.get('calibrated_on', '-')} ({src.get('calibration_rows', 0)} rows, "
                     f"{src.get('calibration_positives', 0)} positives)",
                     str(src.get("target_precision", "-")), str(src.get("threshold_rule", "-"))])  # fmt: skip
    return _table(rows, ["label", "threshold", "family", "calibrated on", "target precision",
                         "rule"])  # fmt: skip


def _metric(m: Mapping[str, Any], label: str, source: str, key: str) -> float | None:
    value = m.get("labels", {}).get(label, {}).get(source, {}).get(key)
    return None if value is None else float(value)


def _rate(m: Mapping[str, Any], key: str) -> float | None:
    value = m.get("diagnostics", {}).get(key, {}).get("flag_rate")
    return None if value is None else float(value)


def targets(m: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets: measured value, goal and whether it is met."""
    functional = m.get("functional") or {}
    passed = functional.get("passed", 0) / functional["cases"] if functional.get("cases") else None
    rows = [
        ("gab_hate2022 dev hate F1", _metric(m, "hate", "gab_hate2022", "f1"), ">=", 0.55),
        ("gab_hate2022 dev: posts without a call for violence flagged threat",
         _rate(m, "gab_hate2022 posts without a call for violence: flagged threat"), "<=", 0.01),
        ("gab_hate2022 dev threat recall", _metric(m, "threat", "gab_hate2022", "recall"), ">=", 0.40),
        ("davidson2017 test hate F1", _metric(m, "hate", "davidson2017", "f1"), ">=", 0.50),
        ("davidson2017 offensive-not-hate flagged hate",
         _rate(m, "davidson2017 offensive-not-hate: flagged hate"), "<=", 0.03),
        ("implicit_hate2021 held-out hate F1", _metric(m, "hate", "implicit_hate2021", "f1"), ">=", 0.70),
        ("hard cases passed", passed, ">=", 0.90),
    ]  # fmt: skip
    out = []
    for name, value, op, goal in rows:
        met = None if value is None else (value >= goal if op == ">=" else value <= goal)
        out.append({"target": name, "value": value, "goal": f"{op} {goal}", "met": met})
    return out


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _targets_table(m: Mapping[str, Any]) -> str:
    rows = [[t["target"], _fmt(t["value"]), t["goal"],
             "-" if t["met"] is None else ("met" if t["met"] else "NOT met")]
            for t in targets(m)]  # fmt: skip
    return _table(rows, ["target", "measured", "goal", "status"]) + (
        "\n\nThe demo corpus's ordinary-post flag rates (goal <= 5% per label) are measured "
        "by `make bench` (benchmarks/bench_classify.py)."
    )


def _compare_table(m: Mapping[str, Any]) -> str:
    base = m.get("baseline", {})
    rows = []
    for label, by_source in m.get("labels", {}).items():
        for source, s in by_source.items():
            b = base.get("labels", {}).get(label, {}).get(source)
            rows.append([label, source, str(s["support"]),
                         f"{s['precision']:.3f} / {s['recall']:.3f} / {s['f1']:.3f}",
                         f"{b['precision']:.3f} / {b['recall']:.3f} / {b['f1']:.3f}" if b else "-",
                         f"{_fmt(s.get('average_precision'))} / "
                         f"{_fmt(b.get('average_precision') if b else None)}"])  # fmt: skip
    return _table(rows, ["label", "test split", "positives", "shipped P / R / F1",
                         "baseline P / R / F1", "AP shipped / baseline"])  # fmt: skip


def _compare_note(m: Mapping[str, Any]) -> str:
    """Where the baseline is ahead, and why, from the figures themselves."""
    base = m.get("baseline", {}).get("labels", {})
    f1_behind, ap_behind = [], []
    for label, by_source in m.get("labels", {}).items():
        for source, s in by_source.items():
            b = base.get(label, {}).get(source)
            if not b or source == "all":
                continue
            if b["f1"] > s["f1"]:
                f1_behind.append(f"{label} on {source}")
            if (b.get("average_precision") or 0) > (s.get("average_precision") or 0):
                ap_behind.append(f"{label} on {source}")
    if not f1_behind:
        return "The shipped model's F1 is at least the baseline's on every split."
    return (
        f"The baseline's F1 is higher for {', '.join(f1_behind)}. Its flags are at "
        "probability 0.5 of a class-balanced model, so it flags far more ordinary posts of a "
        "real feed (next table), which on these positive-rich splits buys recall; the shipped "
        "thresholds are set for precision on a feed. Ranked by score (AP, threshold-free) "
        + ("the shipped model is ahead on every split."
           if not ap_behind else f"the baseline is ahead for {', '.join(ap_behind)}.")
    )  # fmt: skip


def _diagnostics_table(m: Mapping[str, Any]) -> str:
    base = m.get("baseline", {}).get("diagnostics", {})
    rows = [[k, str(v["n"]), f"{v['flag_rate']:.3f}",
             f"{base[k]['flag_rate']:.3f}" if k in base else "-"]
            for k, v in m.get("diagnostics", {}).items()]  # fmt: skip
    return _table(rows, ["rows", "n", "shipped flag rate", "baseline flag rate"])


def _families_table(card: Mapping[str, Any]) -> str:
    rows = []
    shipped = {k: v.get("family") for k, v in card.get("threshold_sources", {}).items()}
    for label, families in card.get("families", {}).items():
        for family, r in families.items():
            test = r.get("test", {})
            per = "; ".join(f"{src} {v['f1']:.3f}" for src, v in test.items())
            gab = test.get("gab_hate2022", {}).get("negatives_flagged")
            rows.append([label, family + (" (shipped)" if shipped.get(label) == family else ""),
                         f"{r['selection_ap']:.3f}", f"{r['threshold']:.3f}", per,
                         "-" if gab is None else f"{gab:.3f}"])  # fmt: skip
    notes = "\n".join(f"- {k}: {v}" for k, v in FAMILY_NOTES.items())
    return notes + "\n\n" + _table(rows, ["label", "family", "selection AP (mean over datasets)",
                                           "threshold", "test F1 per split",
                                           "gab negatives flagged"])  # fmt: skip


FAMILY_NOTES = {
    "lr": "LogisticRegression on the binary hashed n-grams, scoped words and rule features",
    "nblr": "NB-LR: the same features scaled by naive-Bayes log-count ratios, then "
    "LogisticRegression (NB-SVM with a logistic loss; stored as ordinary linear weights)",
    "ensemble": "the mean of the lr and nblr scores, each scaled to unit spread",
    "self": "self-training: the lr head refitted with its own confident guesses (probability "
    ">= 0.95 either way, weight 0.5) on up to 30,000 training posts that do not annotate the "
    "label (davidson2017 and implicit_hate2021's unannotated rows for threat; every public "
    "post for anti_government and doxxing)",
    "baseline": "plain TF-IDF + LogisticRegression, see the comparison table",
}


def write_curves(out_dir: Path, model: Model, examples: Sequence[Example]) -> dict[str, str]:
    """One precision-recall PNG per label (a curve per test split); {label: file name}."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve

    preds = model.predict([ex.text for ex in examples])
    out: dict[str, str] = {}
    for label in LABELS:
        fig, ax = plt.subplots(figsize=(5, 4), dpi=80)
        drawn = False
        for source in sorted({ex.source for ex in examples}):
            pairs = [(p.scores[label], ex.labels[label]) for ex, p in zip(examples, preds, strict=True)
                     if ex.source == source and ex.labels[label] is not None]  # fmt: skip
            ys = [int(y or 0) for _, y in pairs]
            if not pairs or sum(ys) in (0, len(ys)):
                continue
            precision, recall, _ = precision_recall_curve(ys, [s for s, _ in pairs])
            ax.plot(recall, precision, label=f"{source} ({sum(ys)}+)")
            drawn = True
        if drawn:
            ax.axhline(model.card.get("threshold_sources", {}).get(label, {})
                       .get("target_precision", 0.5), color="grey", linestyle=":", linewidth=1)  # fmt: skip
            ax.set(xlabel="recall", ylabel="precision", title=f"{label} ({model.version})",
                   xlim=(0, 1), ylim=(0, 1.02))  # fmt: skip
            ax.legend(fontsize=7, loc="lower left")
            name = f"pr_{label}.png"
            fig.savefig(out_dir / name)
            out[label] = name
        plt.close(fig)
    return out


LIMITS = """## Known limits
- The issue #13 targets not met are listed above with the measured figures. The hate
  head ranks posts about as well as the plain baseline (see AP); it flags far fewer
  ordinary posts because its threshold is set for precision on a real feed, which costs
  recall, hence F1, on the richer test splits.
- Calls for violence on Gab (gab_hate2022 `cv`, 0.6% of posts) are barely separable by
  a bag of n-grams: the threat head's threshold keeps false flags on ordinary Gab posts
  under 1%, but it finds few of them; it does better on the threats the project's
  examples and implicit_hate2021 describe.
- The structure rules (mentioned vs asserted hate, targeted slurs, threats against groups,
  public office contacts) are hand-written and English-only; they settle functional cases
  (scripts/make_probes.py measures them per category) but seldom fire on real feeds, so
  they move the real-feed figures little. A neutral mention of a group ("how many Black
  people work in the county") or a slur homonym ("a fag and a coffee") can still be
  flagged hate by the head.
- Public hate data is 2016-2021 US Twitter and Gab: slang, new code words and other
  platforms are under-represented.
- No public corpus covers anti-government narratives, threats against local officials or
  doxxing: those heads learn from the project's own written examples only (their
  thresholds are capped by a flag budget on the real feed), so their test figures
  measure agreement with the codebook as the examples express it, on a small test split;
  the analyst's reviews (`cohesion train --with-reviews`) are how they improve.
- English only. Sarcasm, long threads and images are out of reach of a bag of n-grams.
- A locality's feed is not Gab: read the precision the weekly report measures on the
  calibration sample, and re-tune thresholds from it (`cohesion train --with-reviews`).
"""


def write(out_dir: Path, card: Mapping[str, Any]) -> None:
    (out_dir / "model_card.json").write_text(json.dumps(card, indent=1) + "\n", "utf-8")
    (out_dir / "MODEL_CARD.md").write_text(markdown(card), "utf-8")

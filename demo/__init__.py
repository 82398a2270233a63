"""The one-command demo: a fictional county's posts in seven platforms' real formats,
served on loopback, crawled by the real spiders, classified, reviewed and reported."""

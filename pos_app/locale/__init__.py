"""The gettext catalogues (<lang>/LC_MESSAGES/pos_app.po, compiled .mo) and the id extractor (extract.py)."""

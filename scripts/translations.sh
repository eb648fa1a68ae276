#!/usr/bin/env bash
# Refresh the translation catalogues after interface strings were added or changed:
#   1. extract every marked string into hilogistics/translations/messages.pot,
#   2. merge it into each locale's messages.po (new strings arrive with an empty msgstr;
#      strings no longer in the code are kept at the end as obsolete "#~" entries),
#   3. compile the .po files to the .mo files the app loads (both are committed).
# Then translate the empty msgstr entries, run this script again, and run
# `pytest tests/test_i18n.py`, which fails while any translation is missing.
#
# Usage: scripts/translations.sh           (from any directory)
#        PYBABEL=/path/to/pybabel scripts/translations.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
if [[ ! -x "$PYBABEL" ]]; then
    PYBABEL="$(command -v pybabel)" || {
        echo "pybabel not found: create .venv (pip install -e '.[dev]') or set PYBABEL" >&2
        exit 1
    }
fi

TRANSLATIONS=hilogistics/translations
LOCALES=(ko_KP fr)

# --ignore-dirs replaces Babel's default filter, which also skips directories starting with
# "_" and so would miss templates/_macros/. --omit-header and file-only locations keep the
# .pot free of timestamps and line numbers, so it only changes when the strings do.
"$PYBABEL" extract \
    --mapping-file=babel.cfg \
    --keyword=_l --keyword=lazy_gettext --keyword=both --keyword=words --keyword=msg --keyword=lazy_ngettext:1,2 \
    --ignore-dirs='.* __pycache__' \
    --add-location=file \
    --sort-output \
    --omit-header \
    --output-file="$TRANSLATIONS/messages.pot" \
    .

for locale in "${LOCALES[@]}"; do
    po="$TRANSLATIONS/$locale/LC_MESSAGES/messages.po"
    if [[ -f "$po" ]]; then
        "$PYBABEL" update \
            --input-file="$TRANSLATIONS/messages.pot" \
            --output-dir="$TRANSLATIONS" \
            --locale="$locale" \
            --no-fuzzy-matching \
            --ignore-pot-creation-date
    else
        "$PYBABEL" init \
            --input-file="$TRANSLATIONS/messages.pot" \
            --output-dir="$TRANSLATIONS" \
            --locale="$locale"
    fi
done

"$PYBABEL" compile --directory="$TRANSLATIONS" --statistics

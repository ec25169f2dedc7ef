"""Locale tags and settings: one canonical spelling, strict refusals, the fallback chain."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sonic_cms.config import Settings
from sonic_cms.locale_tags import LocaleTagError, canonical_tag, fallback_chain


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("fr", "fr"), ("FR", "fr"), ("fr-ca", "fr-CA"), ("zh-hant-tw", "zh-Hant-TW"), ("iw", "he")],
)
def test_tags_are_spelled_one_way(raw: str, canonical: str):
    assert canonical_tag(raw) == canonical


@pytest.mark.parametrize(
    "raw", ["", "fr_CA", "../x", "fr-", "-fr", "fr--CA", "x" * 36, "frç", "日本", "fr CA", "a" * 9]
)
def test_malformed_tags_are_refused(raw: str):
    with pytest.raises(LocaleTagError):
        canonical_tag(raw)


def test_the_chain_walks_prefixes_then_extra_steps_then_the_default():
    enabled = ("en", "fr", "fr-CA", "pt-PT", "pt-BR")
    assert fallback_chain("fr-CA", "en", enabled, {}) == ("fr-CA", "fr", "en")
    assert fallback_chain("pt-BR", "en", enabled, {"pt-BR": "pt-PT"}) == ("pt-BR", "pt-PT", "en")
    assert fallback_chain("en", "en", enabled, {}) == ("en",)
    looping = {"fr": "fr-CA", "fr-CA": "fr"}
    assert fallback_chain("fr", "en", enabled, looping) == ("fr", "fr-CA", "en")


def test_settings_canonicalise_and_refuse_bad_tags():
    settings = Settings(
        _env_file=None, default_locale="EN", locales="fr-ca, en ,de", locale_fallbacks="de:fr"
    )
    assert settings.enabled_locales == ("en", "fr-CA", "de")
    assert settings.fallback_steps == {"de": "fr"}
    for bad in ({"locales": "fr_CA"}, {"default_locale": "../x"}, {"locale_fallbacks": "de"}):
        with pytest.raises(ValidationError, match="locale"):
            Settings(_env_file=None, **bad)

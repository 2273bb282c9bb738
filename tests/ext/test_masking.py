"""Secret masking by patterns and by named environment variables."""

from __future__ import annotations

from deploydocs.masking import MASK, Masker


def test_patterns_mask_the_whole_match_or_only_their_groups() -> None:
    masker = Masker([r"password: \S+", r"token=([0-9a-f]+)"])
    assert masker.mask("password: hunter2 token=abc123 rest") == \
        f"{MASK} token={MASK} rest"


def test_values_of_named_environment_variables_are_masked() -> None:
    masker = Masker.from_config([], ["DB_PASSWORD", "UNSET"], {"DB_PASSWORD": "s3cr3t!"})
    assert masker.mask("connect with s3cr3t! now") == f"connect with {MASK} now"


def test_the_longest_secret_is_masked_first() -> None:
    masker = Masker([], ["abcdef", "abc"])
    assert masker.mask("abcdef abc") == f"{MASK} {MASK}"


def test_nothing_configured_changes_nothing() -> None:
    assert Masker().mask("plain") == "plain"

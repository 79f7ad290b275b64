"""What worker processes rebuild a domain from: its name while the registry's cache holds that
very object, the object itself otherwise."""

from qsolve import domains
from qsolve.domains import DOMAINS, domain_reference, get_domain, register_domain
from qsolve.domains.sliding import SlidingPuzzle


def test_a_named_domain_travels_by_name_until_its_name_is_registered_again(monkeypatch):
    monkeypatch.setattr(domains, "_CACHE", dict(domains._CACHE))
    monkeypatch.setitem(DOMAINS, "puzzle8-ref", lambda: SlidingPuzzle(3))
    named = get_domain("puzzle8-ref")
    assert domain_reference(named) == "puzzle8-ref"
    made = SlidingPuzzle(3)  # not through the registry
    assert domain_reference(made) is made
    register_domain("puzzle8-ref", lambda: SlidingPuzzle(3))
    assert domain_reference(named) is named  # the name now builds another object
    assert domain_reference(get_domain("puzzle8-ref")) == "puzzle8-ref"

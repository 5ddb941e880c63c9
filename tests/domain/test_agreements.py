import pytest

from reconciler.config.model import AgreementRef
from reconciler.domain.agreements import ResolutionError, default_agreement, resolve_agreement
from tests.plan.plan_factories import DEFAULT_TYPES, agreement

EXPLICIT = AgreementRef("Managed Service", "ACME Endpoint Protection")


def test_explicit_matches_the_one_active_agreement_of_that_type_and_name():
    ags = [
        agreement(1, 9, "Managed Service", "ACME Endpoint Protection", status="Expired"),
        agreement(2, 9, "Managed Service", "acme endpoint protection "),  # case/space-insensitive
        agreement(3, 9, "Managed Service", "Other"),
    ]
    assert resolve_agreement(EXPLICIT, ags, DEFAULT_TYPES).id == 2


def test_explicit_ignores_cancelled_and_lists_candidates_when_missing():
    ags = [agreement(1, 9, "Managed Service", "ACME Endpoint Protection", cancelled=True)]
    with pytest.raises(ResolutionError) as err:
        resolve_agreement(EXPLICIT, ags, DEFAULT_TYPES)
    assert "no active agreement 'Managed Service / ACME Endpoint Protection'" in str(err.value)
    assert err.value.candidates == (
        "Managed Service / ACME Endpoint Protection (Active, cancelled, id 1)",
    )


def test_explicit_with_two_matches_is_ambiguous():
    ags = [agreement(i, 9, "Managed Service", "ACME Endpoint Protection") for i in (5, 4)]
    with pytest.raises(ResolutionError) as err:
        resolve_agreement(EXPLICIT, ags, DEFAULT_TYPES)
    assert "2 active agreements match" in err.value.message
    assert [c.split("id ")[1] for c in err.value.candidates] == ["4)", "5)"]


def test_default_takes_the_first_default_type_the_company_has():
    ags = [
        agreement(1, 9, "Managed Service", "MS"),
        agreement(2, 9, "TMRM Management Solution", "TMRM"),
    ]
    assert resolve_agreement(AgreementRef(), ags, DEFAULT_TYPES).id == 2
    assert default_agreement(ags[:1], DEFAULT_TYPES).id == 1


def test_default_with_two_of_the_first_type_is_an_error_not_a_fallback():
    ags = [
        agreement(1, 9, "TMRM Management Solution", "A"),
        agreement(2, 9, "TMRM Management Solution", "B"),
        agreement(3, 9, "Managed Service", "MS"),
    ]
    with pytest.raises(ResolutionError) as err:
        resolve_agreement(AgreementRef(), ags, DEFAULT_TYPES)
    assert "2 active 'TMRM Management Solution' agreements" in err.value.message
    assert default_agreement(ags, DEFAULT_TYPES) is None


def test_default_skips_inactive_agreements_and_reports_none():
    ags = [agreement(1, 9, "TMRM Management Solution", "A", status="Expired")]
    with pytest.raises(ResolutionError) as err:
        resolve_agreement(AgreementRef(), ags, DEFAULT_TYPES)
    assert "no active agreement of a default type" in err.value.message
    assert err.value.candidates == ("TMRM Management Solution / A (Expired, id 1)",)

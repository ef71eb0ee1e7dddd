"""Typed campaign errors with stable codes and the field they concern; the web layer translates."""

from __future__ import annotations

from registry.errors import RegistryError


class CampaignError(RegistryError):
    code = "campaign_error"
    message = "The campaign could not be changed."
    field: str | None = None


class InvalidCampaign(CampaignError):
    """One or more fields are wrong: ``problems`` maps each field to an error code."""

    code = "invalid_campaign"
    message = "Some campaign fields are not valid."

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__()
        self.problems = problems


class CampaignNotFound(CampaignError):
    code = "campaign_not_found"
    message = "There is no such campaign."


class PlacementNotFound(CampaignError):
    code = "placement_not_found"
    message = "There is no such placement."


class UnknownStep(CampaignError):
    code = "unknown_step"
    message = "This funnel step does not exist."

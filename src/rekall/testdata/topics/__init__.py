"""Every technology the synthetic base writes about, in one fixed order."""

from __future__ import annotations

from rekall.testdata.topics import (
    backend,
    containers,
    datastores,
    frontend,
    languages,
    networking,
    operations,
    security,
    sql,
    systems,
    testing,
    tooling,
)
from rekall.testdata.vocabulary import Tech

TECHS: tuple[Tech, ...] = (
    frontend.TECHS
    + backend.TECHS
    + sql.TECHS
    + datastores.TECHS
    + containers.TECHS
    + operations.TECHS
    + languages.TECHS
    + tooling.TECHS
    + systems.TECHS
    + networking.TECHS
    + security.TECHS
    + testing.TECHS
)

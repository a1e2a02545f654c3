"""The one facade every interface calls: entries, links, search, index and stats."""

from rekall.service.facade import Rekall

__all__ = ["Rekall"]

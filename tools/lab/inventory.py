"""Old home of the ssh inventory format, now :mod:`tools.inventory` (real machines are not
the lab's); the names stay importable from here for the Sphinx extension and its tests."""

from ..inventory import KNOWN_KEYS, NAME_RE, InventoryError, InventoryHost, load_inventory

__all__ = ["KNOWN_KEYS", "NAME_RE", "InventoryError", "InventoryHost", "load_inventory"]

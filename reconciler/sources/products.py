"""Which of our products a Trend Micro usage row belongs to.

A row names Trend Micro's product (`product_name`) and service plan (`service_plan`), as
LMPI's Customer Summary report does. `products.<key>.lmpi` in reconciler.yaml says which
rows are that product: `product_name` (default: the product's `name`) and optionally
`service_plans`. Names compare without case and surrounding blanks.

- A row whose product name no product claims is not ours: ignored (and listed, so a
  product we should bill but do not map can be spotted).
- A row whose product name is claimed but whose service plan no claiming product lists is
  *rejected*: billing that product for that customer fails naming the plan, never bills
  short. (A product without `service_plans` takes every plan of its name that no sibling
  lists.)
- Several service plans of one product for one customer are summed (see MonthUsage).
The file source also accepts a product key in place of the product name (any plan).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.config.model import Product


def fold(text: object) -> str:
    return " ".join(str(text or "").split()).casefold()


@dataclass(frozen=True)
class ProductMatch:
    """What a row is: `key` (ours), or rejected for `candidates`, or neither (not ours)."""

    key: str | None = None
    candidates: tuple[str, ...] = ()  # product keys that claim the name but not the plan

    @property
    def rejected(self) -> bool:
        return self.key is None and bool(self.candidates)


class ProductMap:
    """Row (product name, service plan) -> product key, by `products.<key>.lmpi`."""

    def __init__(self, products: Mapping[str, Product]) -> None:
        self._keys = {fold(key): key for key in products}
        self._by_name: dict[str, list[Product]] = {}
        for product in products.values():
            self._by_name.setdefault(fold(product.lmpi_product_name), []).append(product)

    def keys(self) -> tuple[str, ...]:
        """Every product key (a row whose product cannot be read may be any of them)."""
        return tuple(self._keys.values())

    def match(self, product: str, service_plan: str, *, keys: bool = False) -> ProductMatch:
        """The product a row belongs to; `keys` also accepts a product key as the name."""
        if keys and fold(product) in self._keys:
            return ProductMatch(key=self._keys[fold(product)])
        claiming = self._by_name.get(fold(product), [])
        if not claiming:
            return ProductMatch()
        plan = fold(service_plan)
        listed = [p for p in claiming if p.service_plans is not None
                  and plan in {fold(s) for s in p.service_plans}]
        if listed:
            return ProductMatch(key=listed[0].key)  # config checks: one product per plan
        open_ended = [p for p in claiming if p.service_plans is None]
        if open_ended:
            return ProductMatch(key=open_ended[0].key)  # config checks: at most one
        return ProductMatch(candidates=tuple(p.key for p in claiming))


def unmapped_plan(product_name: str, service_plan: str, candidates: tuple[str, ...]) -> str:
    """Why a row of a product we bill is rejected, and what to change."""
    where = " or ".join(f"products.{key}.lmpi.service_plans" for key in candidates)
    return (f"service plan {service_plan!r} of {product_name!r} is not mapped to a product: "
            f"list it in {where} of reconciler.yaml, under the product it is")

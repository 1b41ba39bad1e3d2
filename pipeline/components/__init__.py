"""Components: the implementations of the stages, built from config by registered name.

A component module (one per registered name in :data:`pipeline.stages.COMPONENTS`) has three
functions, the shape of a spaCy pipe::

    model = load(config)                          # once per job: files, tables, compiled CRFs
    predictions = predict(records, model)         # reads records, changes nothing
    set_annotations(records, predictions)         # writes the component's layers, nothing else

Keeping ``predict`` apart from ``set_annotations`` lets evaluators score predictions without
records and lets :class:`Component` check the contract: the layers a component ``requires``
are there before it runs, and after it ran only its ``assigns`` changed.

``Component(name, config)`` is what the runner, :func:`pipeline.annotate` and the spaCy
factories use; ``annotate_with(module, records, model)`` is the plain-function form for scripts.
"""

from __future__ import annotations

import importlib

from pipeline.stages import COMPONENTS, ComponentSpec


class ContractError(RuntimeError):
    """A component read a layer that is not there, or wrote one it does not assign."""


class Component:
    """A registered component, loaded once from its config."""

    def __init__(self, name: str, config: dict | None = None):
        self.spec: ComponentSpec = COMPONENTS[name]
        self.module = importlib.import_module(self.spec.module)
        self.config = dict(config or {})
        self.model = self.module.load(self.config)

    @property
    def name(self) -> str:
        return self.spec.name

    def check_requires(self, records: list[dict], where: str = "") -> None:
        for record in records:
            missing = [layer for layer in self.spec.requires if layer not in record]
            if missing:
                raise ContractError(
                    f"{where or self.name}: record {record.get('id')} lacks {missing}; "
                    f"run the stages before {self.name} first"
                )

    def predict(self, records: list[dict]) -> list:
        return self.module.predict(records, self.model)

    def set_annotations(self, records: list[dict], predictions: list) -> None:
        """Write the predictions into ``records`` (in place), checking that only the
        component's ``assigns`` changed: every other layer is still the same object."""
        before = [{key: id(value) for key, value in record.items()} for record in records]
        self.module.set_annotations(records, predictions)
        allowed = set(self.spec.assigns)
        for record, seen in zip(records, before):
            changed = {key for key, value in record.items() if seen.get(key) != id(value)} | (set(seen) - set(record))
            if changed - allowed:
                raise ContractError(f"{self.name} wrote {sorted(changed - allowed)}, but assigns only {sorted(allowed)}")

    def __call__(self, records: list[dict]) -> list[dict]:
        """New records with this component's layers added; the inputs are not changed."""
        self.check_requires(records)
        out = [dict(record) for record in records]
        self.set_annotations(out, self.predict(out))
        return out


def annotate_with(module, records: list[dict], model) -> list[dict]:
    """``predict`` then ``set_annotations`` on shallow copies: new records, inputs unchanged."""
    out = [dict(record) for record in records]
    module.set_annotations(out, module.predict(out, model))
    return out

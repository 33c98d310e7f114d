"""A decision table as Lincah keeps it: the cells' texts (what the analyst wrote, stored in the spec) and their
parsed trees (built once when the table is read or restored; evaluating never parses)."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.decisions import feel

UNIQUE, FIRST, PRIORITY, ANY, COLLECT, RULE_ORDER, OUTPUT_ORDER = (
    "UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER")
HIT_POLICIES = (UNIQUE, FIRST, PRIORITY, ANY, COLLECT, RULE_ORDER, OUTPUT_ORDER)
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")
# The short names of the DMN specification (U, A, P, F, R, O, C, C+, C<, C>, C#).
SHORT = {UNIQUE: "U", ANY: "A", PRIORITY: "P", FIRST: "F", RULE_ORDER: "R", OUTPUT_ORDER: "O", COLLECT: "C"}
AGGREGATION_SIGN = {"SUM": "+", "MIN": "<", "MAX": ">", "COUNT": "#"}


@dataclass
class Input:
    id: str
    label: str
    expression: str
    type_ref: str | None = None
    # The allowed values (DMN ``inputValues``, Camunda Modeler's "predefined values"), as JSON values; empty: any.
    values: list = field(default_factory=list)
    tree: tuple = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        if self.tree is None:
            self.tree = feel.parse_expression(self.expression)

    @property
    def title(self) -> str:
        return self.label or self.expression or self.id


@dataclass
class Output:
    id: str
    name: str
    label: str = ""
    type_ref: str | None = None
    # The output values in their order (PRIORITY and OUTPUT ORDER rank results by it); empty: none declared.
    values: list = field(default_factory=list)


@dataclass
class Rule:
    id: str
    index: int  # 1-based, as the modeler numbers the rows
    inputs: list[str]
    outputs: list[str]
    description: str = ""
    tests: list = field(default=None, repr=False, compare=False)
    results: list = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        if self.tests is None:
            self.tests = [feel.parse_unary_tests(text) for text in self.inputs]
        if self.results is None:
            self.results = [feel.parse_expression(text) for text in self.outputs]

    @property
    def title(self) -> str:
        return f"rule {self.index} ({self.id})" if self.id else f"rule {self.index}"


TABLE, LITERAL = "table", "literal"


@dataclass
class Decision:
    """A decision table — or a literal expression, kept as a table of one rule without inputs whose one output is
    the expression (``kind`` says which, for the pages). ``required``: the decisions it requires (DMN
    ``requiredDecision``), evaluated first (``engine.decisions.evaluation``), carried inside it so that a stored
    decision needs nothing else; ``required_files``: the file of each required decision that another DMN file of the
    deployment holds (``engine.decisions.requirements``), for the pages."""

    id: str
    name: str
    hit_policy: str = UNIQUE
    aggregation: str | None = None
    inputs: list[Input] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    kind: str = TABLE
    required: list[Decision] = field(default_factory=list)
    required_files: dict[str, str] = field(default_factory=dict)

    @property
    def policy(self) -> str:
        """The hit policy's short name: ``U``, ``C+``, …"""
        return SHORT[self.hit_policy] + AGGREGATION_SIGN.get(self.aggregation or "", "")

    def to_dict(self) -> dict:
        return {
            "id": self.id, "name": self.name, "hit_policy": self.hit_policy, "aggregation": self.aggregation,
            "inputs": [{"id": i.id, "label": i.label, "expression": i.expression, "type_ref": i.type_ref,
                        "values": i.values} for i in self.inputs],
            "outputs": [{"id": o.id, "name": o.name, "label": o.label, "type_ref": o.type_ref, "values": o.values}
                        for o in self.outputs],
            "rules": [{"id": r.id, "index": r.index, "inputs": r.inputs, "outputs": r.outputs,
                       "description": r.description} for r in self.rules],
            "kind": self.kind, "required": [decision.to_dict() for decision in self.required],
            # only when a requirement crosses files, so that a table stored before keeps its hash (and version)
            **({"required_files": dict(self.required_files)} if self.required_files else {}),
        }

    @classmethod
    def from_dict(cls, body: dict) -> Decision:
        """A table written by :meth:`to_dict` (its texts were checked when it was deployed)."""
        return cls(
            id=body["id"], name=body["name"], hit_policy=body["hit_policy"], aggregation=body.get("aggregation"),
            inputs=[Input(**item) for item in body["inputs"]],
            outputs=[Output(**item) for item in body["outputs"]],
            rules=[Rule(**item) for item in body["rules"]],
            kind=body.get("kind") or TABLE, required=[cls.from_dict(item) for item in body.get("required") or []],
            required_files=dict(body.get("required_files") or {}),
        )

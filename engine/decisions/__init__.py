"""DMN decision tables (*tabel keputusan*): read once at deploy, evaluated by Lincah itself.

SpiffWorkflow's DMN engine treats cells as Python and gets most hit policies wrong (UNIQUE returns the first match,
COLLECT ignores aggregations), so tables as Camunda Modeler writes them are read here: FEEL unary tests and simple
expressions by a parser of our own (:mod:`.feel`, no ``eval``), typed inputs and outputs (:mod:`.types`), every DMN
1.3 hit policy (:mod:`.evaluation`), the file (:mod:`.reader`, problems located by decision, rule and column), the
requirements between decisions, across the files of a deployment (:mod:`.requirements`) and the business rule task's
spec (:mod:`.task`). The package sits below ``workflow`` so that the serializer knows the spec.
"""

from engine.decisions.evaluation import DecisionFailed, evaluate
from engine.decisions.model import Decision
from engine.decisions.reader import DecisionFile, Located, is_dmn, read_file
from engine.decisions.requirements import link

__all__ = ["Decision", "DecisionFailed", "DecisionFile", "Located", "evaluate", "is_dmn", "link", "read_file"]

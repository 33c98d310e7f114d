"""Programs outside Lincah: external-task workers over Camunda 7's contract, and the API clients they sign in as.

``variables`` converts Camunda's typed variables; ``clients`` keeps API clients (name, hashed secret, topics,
messages, offices); ``external_tasks`` fetches and locks, completes, fails, throws BPMN errors and turns exhausted
tasks into incidents a person retries. The rows themselves are written by the step
(``engine.casework.external_outbox``).
"""

"""Lincah's domain core: permit services as BPMN processes run by SpiffWorkflow, kept in SQL. Never imports Flask.

Packages, each depending only on those before it (``tests/engine/test_layers.py`` keeps it so):

1. ``errors``, ``config``, ``clock``, ``texts``, ``observability``, ``cycle_collector``, ``memo`` — the error
   hierarchy, an installation's settings, the injectable clock, what the engine says to people in their language
   (the one gettext catalogue, ``engine/translations``), logging, request ids and step timings, the garbage
   collector held off around bursts, answers read off immutable forms and diagrams once per object;
2. ``storage`` — tables, sessions and SQL;
3. ``decisions`` — DMN decision tables: FEEL read once, every hit policy, the business rule task's spec;
4. ``workflow`` — SpiffWorkflow against the database: state to text, load, run and save one step;
5. ``forms`` — JSON Schema forms: checking them and validating what people submit;
6. ``people`` — roles and access rules, accounts, passwords, tokens and web sessions;
7. ``sla`` — working-time calendars and SLA clocks;
8. ``sandbox`` — where conditions, timers and scripts from diagrams run, with hard limits (and working days);
9. ``bpmn`` — from uploaded bytes to a checked, executable definition (hardened XML, rewrites, lint);
10. ``services`` — deploying, publishing and looking up permit services; the office rule; test runs;
11. ``messaging`` — the notification outbox, in-app lists, e-mail;
12. ``documents`` — attachments and the permit letter;
13. ``casework`` — applications and tasks: every path that advances a workflow;
14. ``integration`` — programs outside: API clients, external tasks over Camunda 7's contract, incidents;
15. ``reporting`` — SLA reports, dashboard, satisfaction survey, tracking, timelines, queue counts;
16. ``context`` assembles what an operation needs besides the session (settings, clock, codec, sandbox, calendars)
    from the packages above; they name ``EngineContext`` only in type hints. ``demo`` builds demo data from all;
    ``demo_fakes`` stands in for the outside systems the demo's third service talks to (registry, bank).
"""

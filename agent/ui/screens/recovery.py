"""The recovery screen: one failure flow's numbered steps — what to check, what to say — with the
transaction's facts and the actions on their keys. It follows the flow live: each prompt the counter
shows for it replaces the last, and once the customer left details they are shown here, masked."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Footer, Static

from agent.ui.desk import Matter
from agent.ui.labels import label
from agent.ui.screens.base import KeyedScreen, bindings, flow_keys, key
from agent.ui.view import actions_text, facts_text, flow_name, prompt_body, prompt_plain, render
from agent.ui.widgets import Banner, FactsView, Notice, PromptView, StatusBar


class RecoveryScreen(KeyedScreen):
    BINDINGS = bindings(flow_keys(), key("ctrl+r", "app.recovery", "recovery.next", "^R"),
                        key("ctrl+t", "app.till", "recovery.back", "^T"))
    outcome = ""  # the contact and case lines, as plain text

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Banner(id="banner")
        yield Static(id="heading")
        yield FactsView(id="facts")
        yield PromptView(id="steps")
        yield Static(id="outcome")
        yield Notice(id="notice")
        yield Footer(compact=True)

    @property
    def flow_id(self) -> str | None:
        return self.cashier.desk.focus

    def refresh_view(self) -> None:
        if not self.ready:
            return
        app, language = self.cashier, self.cashier.language
        desk = app.desk
        self.query_one(StatusBar).show(app.status())
        self.query_one(Banner).show(app.paused())
        matter = desk.focused()
        heading = self.query_one("#heading", Static)
        outcome = self.query_one("#outcome", Static)
        if matter is None:
            heading.update(Text(label("recovery.none", language)))
            self.query_one(FactsView).show(Text())
            self.query_one(PromptView).show(Text(), "", Text())
            self.outcome = ""
            outcome.update("")
            self.refresh_bindings()
            return
        others = self.others()
        title = Text(label("recovery.heading", language, flow=flow_name(matter.flow, language)), style="bold")
        title.append(f"  {matter.flow_id}", style="dim")
        if others:
            title.append("  " + label("recovery.others", language, count=others), style="italic")
        heading.update(title)
        self.query_one(FactsView).show(facts_text(matter.prompt, language, app.tz))
        shown = render(matter.prompt, language, app.tz)
        offered = tuple(a for a in shown.actions if a[2] in matter.actions)
        note = "" if matter.live else label("recovery.finished", language)
        self.query_one(PromptView).show(prompt_body(shown, note), prompt_plain(shown, note), actions_text(offered))
        lines = [line for line in (app.contact_line(matter), app.case_line(matter), app.till_line(matter)) if line]
        self.outcome = "\n".join(lines)
        outcome.update(Text(self.outcome))
        outcome.display = bool(lines)
        self.refresh_bindings()

    def others(self) -> int:
        """How many other recoveries are open."""
        return len([m for m in self.cashier.desk.recoveries() if m.flow_id != self.flow_id])

    def flow_matter(self) -> Matter | None:
        return self.cashier.desk.focused()

    def offers(self, action: str, arguments: tuple[object, ...]) -> bool:
        if action == "recovery":
            return self.others() > 0
        return super().offers(action, arguments)

    def show_problem(self, problem: str) -> None:
        self.query_one(Notice).show(problem)


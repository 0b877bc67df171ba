"""The recovery screen: one failure flow's numbered steps — what to check, what to say — with the
transaction's facts and the actions on their keys. It follows the flow live: each prompt the counter
shows for it replaces the last, and once the customer left details they are shown here, masked."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from agent.ui.labels import label
from agent.ui.screens.base import KeyedScreen
from agent.ui.view import actions_text, facts_text, flow_name, prompt_body, prompt_plain, render
from agent.ui.widgets import Banner, FactsView, Notice, PromptView, StatusBar


class RecoveryScreen(KeyedScreen):
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
            self.rebind([Binding("ctrl+t", "app.till", label("recovery.back", language), key_display="^T")])
            return
        others = len([m for m in desk.recoveries() if m.flow_id != matter.flow_id])
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
        keys = self.flow_bindings(matter)
        if others:
            keys.append(Binding("ctrl+r", "app.recovery", label("recovery.next", language), key_display="^R"))
        keys.append(Binding("ctrl+t", "app.till", label("recovery.back", language), key_display="^T"))
        self.rebind(keys)

    def show_problem(self, problem: str) -> None:
        self.query_one(Notice).show(problem)


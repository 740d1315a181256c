"""The org settings simulator as an ipywidgets 8 view over :class:`assistant.simulator.Simulator`.

Inputs are dropdowns, toggle buttons, checkboxes and text boxes, each with a description; any
change re-runs the simulation (the *Simulate* button does too). The outcome is shown in words,
as a table, and as findings; each finding's citations are buttons that show the cited FAQ
answer (rendered by :func:`assistant.rendering.render_markdown`, so it is sanitized).

Invalid input (unknown plan, malformed email) is not an error of the view: the status says what
is wrong, naming the field. An exception in a callback is shown in the error area and appended
to :attr:`OrgSimulatorView.errors` (ipywidgets would only log it), so tests can assert that
nothing failed.
"""

from __future__ import annotations

import base64
import functools
import os
import textwrap
from typing import Callable

import ipywidgets as widgets

from ..config import Settings
from ..entries import entry_link
from ..knowledge_base import KnowledgeBase
from ..problems import FaqAssistantError
from ..rendering import escape, plural, render_markdown
from ..simulator import ACCOUNT_KINDS, PLANS, SSO_MODES, USES, Finding, Org, Outcome, Simulator, User
from .base import View

__all__ = ["OrgSimulatorView", "RolloutView", "build_rollout", "build_simulator"]


_SEVERITY_WORDS = {"blocker": "Blocker", "warning": "Warning", "info": "Note"}
_SEVERITY_COLOURS = {"blocker": "#b00020", "warning": "#8a5a00", "info": "#555"}
_USE_LABELS = {"web": "Web", "desktop": "Desktop", "cli": "CLI", "api": "API", "ci": "CI/CD"}

# Our own markup only; untrusted text never goes in here.
_CSS = """<style>
.faq-sim .faq-answer { border-left: 3px solid #bbb; padding-left: 8px; margin: 4px 0 8px 0; }
.faq-sim .faq-answer p { margin: 4px 0; }
.faq-sim .faq-link { text-decoration: underline dotted; cursor: help; }
.faq-sim table.faq-outcome th { text-align: left; padding-right: 12px; font-weight: normal; }
.faq-sim .faq-meta { color: #444; font-size: 90%; margin: 2px 0; }
</style>"""


def _status(text_html: str, role: str = "status") -> str:
    return f'<div role="{role}" aria-live="polite">{text_html}</div>'


class _FindingView:
    """One finding: severity in words, code, message, and a show/hide button per cited FAQ entry."""

    def __init__(self, finding: Finding, kb: KnowledgeBase, site_url: str | None, guard: Callable):
        self.finding = finding
        colour = _SEVERITY_COLOURS[finding.severity]
        self.header = widgets.HTML(
            f'<p><strong style="color:{colour}">{_SEVERITY_WORDS[finding.severity]}</strong> '
            f"<code>{escape(finding.code)}</code>: {escape(finding.message)}</p>")
        self.buttons: list[widgets.Button] = []
        self.answers: list[widgets.HTML] = []
        rows: list[widgets.Widget] = [self.header]
        for entry_id in finding.citations:
            entry = kb.get(entry_id)
            if entry is None:  # the simulator only cites ids it found; guard anyway
                rows.append(widgets.HTML(f'<p class="faq-meta">Cites {escape(entry_id)} (not in the knowledge base)</p>'))
                continue
            short = textwrap.shorten(entry.question, 70, placeholder="...")
            button = widgets.Button(description=f"Show the FAQ answer: {short}", tooltip=entry.question,
                                    icon="book", layout=widgets.Layout(width="auto", max_width="95%"))
            link = entry_link(entry, site_url)
            where = f"<code>{escape(entry.source)}:{entry.line}</code>"
            if link:
                where += f' · <a href="{escape(link)}" target="_blank" rel="noopener noreferrer">{escape(link)}</a>'
            answer = widgets.HTML(
                f'<div class="faq-answer"><p><strong>{escape(entry.question)}</strong></p>'
                f"{render_markdown(entry.answer_markdown, base_url=link)}"
                f'<p class="faq-meta">Source: {where}</p></div>',
                layout=widgets.Layout(display="none"))
            button.on_click(guard(functools.partial(self._toggle, button, answer, short)))
            self.buttons.append(button)
            self.answers.append(answer)
            rows += [button, answer]
        if not finding.citations:
            rows.append(widgets.HTML('<p class="faq-meta">No FAQ entry to cite.</p>'))
        self.box = widgets.VBox(rows, layout=widgets.Layout(border=f"1px solid {colour}", padding="2px 8px",
                                                               margin="4px 0"))

    @staticmethod
    def _toggle(button: widgets.Button, answer: widgets.HTML, short: str, _b=None) -> None:
        shown = answer.layout.display != "none"
        answer.layout.display = "none" if shown else None
        button.description = f"{'Show' if shown else 'Hide'} the FAQ answer: {short}"


class OrgSimulatorView(View):
    """Pick an organization's settings and a user; see what happens to the user, citing the FAQ.

    Parameters
    ----------
    simulator : Simulator, optional
        Default ``Simulator()`` over the bundled knowledge base.
    site_url : str, optional
        Base URL for site-relative FAQ entry URLs, so that the answers' links work.
    org : Org, optional
        Initial organization settings (default: Business, SSO off).
    user : User, optional
        Initial user (default: an empty email box; the status asks for one).

    Attributes
    ----------
    widget : ipywidgets.VBox
        The whole view; displaying the view displays it.
    plan, sso, domains, signin_enforced, test_org
        Organization inputs (Dropdown, ToggleButtons, Text, Checkbox, Checkbox).
    email, account, has_password, has_pat, in_idp, member, removed, uses
        User inputs (Text, ToggleButtons, five Checkboxes, and a dict of use -> Checkbox).
    simulate_button : ipywidgets.Button
    status, words, table : ipywidgets.HTML
        The status in words, the outcome in sentences and as a table.
    findings_box : ipywidgets.VBox
    finding_views : list
        One per finding: ``.finding``, ``.buttons`` (show the cited answers), ``.answers``.
    outcome : Outcome or None
        The latest outcome (``None`` while the input is invalid).
    input_error : str or None
        What is wrong with the input, naming the field.
    error_area : ipywidgets.HTML
        Shows the latest exception raised in a callback (hidden when there is none).
    errors : list of str
        Every exception raised in a callback, as ``"<callback>: <Type>: <message>"``.
    """

    label = "org simulator"

    def __init__(self, simulator: Simulator | None = None, *, site_url: str | None = None,
                 org: Org | None = None, user: User | None = None):
        super().__init__()
        self.simulator = simulator if simulator is not None else Simulator()
        self.site_url = site_url
        self.outcome: Outcome | None = None
        self.input_error: str | None = None
        self.finding_views: list[_FindingView] = []
        self._build(org or Org(), user)
        self.simulate()

    # --- layout -------------------------------------------------------------------------------

    def _build(self, org: Org, user: User | None) -> None:
        style = {"description_width": "initial"}
        self.plan = widgets.Dropdown(options=[(p.capitalize(), p) for p in PLANS], value=org.plan,
                                     description="Plan", style=style)
        self.sso = widgets.ToggleButtons(options=[(m.capitalize(), m) for m in SSO_MODES], value=org.sso,
                                         description="SSO", style=style,
                                         tooltips=["No SSO connection", "SSO set up for the verified domains, not enforced",
                                                   "SSO set up and enforced"])
        self.domains = widgets.Text(value=", ".join(org.verified_domains), description="Verified domains",
                                    placeholder="example.com, example.org (press Enter)", continuous_update=False,
                                    style=style, layout=widgets.Layout(width="60%"))
        self.signin_enforced = widgets.Checkbox(value=org.signin_enforced, indent=False,
                                                description="Desktop sign-in enforced")
        self.test_org = widgets.Checkbox(value=org.test_org, indent=False, description="Test organization")

        self.email = widgets.Text(value=user.email if user else "", description="User email",
                                  placeholder="ana@example.com (press Enter)", continuous_update=False,
                                  style=style, layout=widgets.Layout(width="60%"))
        self.account = widgets.ToggleButtons(options=[(a.capitalize(), a) for a in ACCOUNT_KINDS],
                                             value=user.account if user else "human", description="Account",
                                             style=style, tooltips=["A person", "A service account (e.g. for builds)"])
        u = user or User("placeholder@example.com")
        self.has_password = widgets.Checkbox(value=u.has_password, indent=False, description="Has a password")
        self.has_pat = widgets.Checkbox(value=u.has_pat, indent=False, description="Has a personal access token")
        self.in_idp = widgets.Checkbox(value=u.in_idp, indent=False,
                                       description="In the identity provider (unaliased, enabled)")
        self.member = widgets.Checkbox(value=u.member, indent=False, description="Already a member of the org")
        self.removed = widgets.Checkbox(value=u.removed, indent=False, description="Removed from the org by an admin")
        self.uses = {use: widgets.Checkbox(value=use in u.uses, indent=False, description=f"Uses {_USE_LABELS[use]}",
                                           layout=widgets.Layout(width="auto"))
                     for use in USES}
        self.simulate_button = widgets.Button(description="Simulate", icon="play", button_style="primary",
                                              tooltip="Simulate these settings for this user")
        self.status = widgets.HTML(_status("Enter a user email to simulate."))
        self.words = widgets.HTML()
        self.table = widgets.HTML()
        self.findings_box = widgets.VBox()

        for w in self._inputs():
            w.observe(self._guard(self._on_change), names="value")
        self.simulate_button.on_click(self._guard(self._on_click))

        org_box = widgets.VBox([widgets.HTML("<h4>Organization</h4>"), self.plan, self.sso, self.domains,
                                widgets.HBox([self.signin_enforced, self.test_org])])
        user_box = widgets.VBox([
            widgets.HTML("<h4>User</h4>"), self.email, self.account,
            widgets.HBox([self.has_password, self.has_pat]), widgets.HBox([self.in_idp, self.member, self.removed]),
            widgets.HBox(list(self.uses.values())),
        ])
        kb = self.simulator.kb
        header = f'{_CSS}<p class="faq-meta">Rules cite the knowledge base: {len(kb)} FAQ entries from <code>{escape(kb.root)}</code></p>'
        self.widget = widgets.VBox([
            widgets.HTML(header), self.error_area, org_box, user_box, self.simulate_button, self.status,
            widgets.HTML("<h4>Outcome</h4>"), self.words, self.table,
            widgets.HTML("<h4>Findings</h4>"), self.findings_box,
        ])
        self.widget.add_class("faq-sim")

    def _inputs(self) -> list[widgets.Widget]:
        return [self.plan, self.sso, self.domains, self.signin_enforced, self.test_org, self.email, self.account,
                self.has_password, self.has_pat, self.in_idp, self.member, self.removed, *self.uses.values()]

    # --- simulate -----------------------------------------------------------------------------

    def _on_change(self, _change) -> None:
        self.simulate()

    def _on_click(self, _button) -> None:
        self.simulate()

    def read_inputs(self) -> tuple[Org, User]:
        """The organization and user the inputs describe.

        Raises :class:`~assistant.problems.FaqAssistantError` (a ``ValueError``) naming the field.
        """
        org = Org(plan=self.plan.value, verified_domains=self.domains.value, sso=self.sso.value,
                  signin_enforced=self.signin_enforced.value, test_org=self.test_org.value)
        if not self.email.value.strip():
            raise FaqAssistantError("email: required (e.g. ana@example.com)")
        user = User(email=self.email.value, account=self.account.value, has_password=self.has_password.value,
                    has_pat=self.has_pat.value, in_idp=self.in_idp.value, member=self.member.value,
                    removed=self.removed.value,
                    uses=tuple(use for use, box in self.uses.items() if box.value))
        return org, user

    def simulate(self) -> Outcome | None:
        """Simulate the current inputs and show the outcome (what any change and *Simulate* do).

        Returns the outcome, or ``None`` when the input is invalid (the status names the field).
        """
        try:
            org, user = self.read_inputs()
        except ValueError as exc:
            self.outcome, self.input_error, self.finding_views = None, str(exc), []
            self.status.value = _status(f"<strong>Cannot simulate:</strong> {escape(exc)}", role="alert")
            self.words.value = self.table.value = ""
            self.findings_box.children = ()
            return None
        outcome = self.simulator.simulate(org, user)
        self.outcome, self.input_error = outcome, None
        counts = ", ".join(plural(outcome.count(s), w) for s, w in
                           (("blocker", "blocker"), ("warning", "warning"), ("info", "note")))
        lost = (f" Loses access to: {', '.join(outcome.blocked_uses)}." if outcome.blocked_uses
                else f" Loses nothing; not working with or without these settings: "
                     f"{', '.join(outcome.unavailable_uses)}." if outcome.unavailable_uses
                else " Keeps access to everything they use.")
        self.status.value = _status(f"Simulated {escape(user.email)}: {counts}.{escape(lost)}")
        self.words.value = "<ul>" + "".join(f"<li>{escape(s)}</li>" for s in outcome.sentences()) + "</ul>"
        rows = "".join(f'<tr><th scope="row">{escape(label)}</th><td>{escape(value)}</td></tr>'
                       for label, value in outcome.rows())
        self.table.value = f'<table class="faq-outcome"><caption>Outcome for {escape(user.email)}</caption>{rows}</table>'
        self.finding_views = [_FindingView(f, self.simulator.kb, self.site_url, self._guard) for f in outcome.findings]
        self.findings_box.children = [v.box for v in self.finding_views] or [widgets.HTML("<p>No findings.</p>")]
        return outcome


def build_simulator(kb_path: str | os.PathLike | None = None, *, site_url: str | None = None,
                    email: str | None = None, index_dir: str | os.PathLike | None = None) -> OrgSimulatorView:
    """The simulator the notebook shows, configured by arguments or the environment.

    Parameters
    ----------
    kb_path : path, optional
        Folder of FAQ markdown; default :attr:`Settings.kb <assistant.config.Settings>`
        (``$FAQ_ASSISTANT_KB``), else the bundled knowledge base. Read through its saved index
        (:func:`~assistant.simulator.indexed_kb`), the one the CLI and the console use: the same
        entries, cited by the same ids, and nothing parsed when the index is fresh.
    site_url : str, optional
        Base URL for site-relative entry URLs; default ``Settings.site_url`` (``$FAQ_ASSISTANT_SITE_URL``).
    email : str, optional
        A user email to start with (then the view shows an outcome at once).
    index_dir : path, optional
        Folder of saved indexes; default ``Settings.index_dir`` (``$FAQ_ASSISTANT_INDEX_DIR``, else
        ``$XDG_CACHE_HOME/faq-assistant``).

    Raises
    ------
    KnowledgeBaseError
        If the knowledge base folder is missing or holds no FAQ files.
    """
    from ..simulator import indexed_kb

    settings = Settings.from_env()
    kb = indexed_kb(kb_path or settings.kb, index_dir or settings.index_dir)
    site_url = site_url or settings.site_url
    return OrgSimulatorView(Simulator(kb), site_url=site_url, user=User(email) if email else None)


_EXAMPLE_CURRENT = "plan: business\nverified_domains: [example.com]\nsso: enabled\n"
_EXAMPLE_PROPOSED = "plan: business\nverified_domains: [example.com]\nsso: enforced\n"
_EXAMPLE_ROSTER = ("email,account,has_password,has_pat,uses\nana@example.com,human,true,true,desktop;cli\n"
                   "ben@example.com,human,true,false,desktop;cli\nbuild@example.com,service,true,false,ci\n")
_FILTERS = {"changed": "Users the change affects", "losing": "Users who lose access", "all": "All users"}


class RolloutView(View):
    """What-if for a rollout: current and proposed settings (YAML) and a roster (CSV) -> a filterable table.

    Like a report-only policy: nothing changes; :meth:`Simulator.diff` shows per user the sign-in
    methods before -> after, the uses that stop working, new blockers and warnings. The table
    can be filtered (which users, an email substring) and downloaded as CSV (the whole what-if,
    :meth:`RolloutDiff.to_csv`).

    Attributes
    ----------
    current, proposed, roster : ipywidgets.Textarea
        The settings as YAML and the roster as CSV (prefilled with a small example).
    upload : ipywidgets.FileUpload
        A roster CSV file; uploading fills :attr:`roster`.
    show : ipywidgets.Dropdown
        ``"changed"``, ``"losing"`` or ``"all"``.
    email_filter : ipywidgets.Text
    summary, table, download : ipywidgets.HTML
    diff : RolloutDiff or None
        The latest what-if (``None`` while the input is invalid; :attr:`status` names the problem).
    shown : pandas.DataFrame or None
        The rows the table shows.
    """

    label = "rollout what-if"

    def __init__(self, simulator: Simulator | None = None, *, current: str = _EXAMPLE_CURRENT,
                 proposed: str = _EXAMPLE_PROPOSED, roster: str = _EXAMPLE_ROSTER):
        super().__init__()
        self.simulator = simulator if simulator is not None else Simulator()
        self.diff = None
        self.shown = None
        area = dict(layout=widgets.Layout(width="32%", height="9em"), continuous_update=False)
        self.current = widgets.Textarea(value=current, description="Current (YAML)", **area)
        self.proposed = widgets.Textarea(value=proposed, description="Proposed (YAML)", **area)
        self.roster = widgets.Textarea(value=roster, description="Roster (CSV)", **area)
        self.upload = widgets.FileUpload(accept=".csv", multiple=False, description="Roster CSV")
        self.show = widgets.Dropdown(options=[(v, k) for k, v in _FILTERS.items()], value="changed", description="Show")
        self.email_filter = widgets.Text(description="Email contains", continuous_update=False)
        self.status = widgets.HTML()
        self.summary = widgets.HTML()
        self.table = widgets.HTML()
        self.download = widgets.HTML()
        for w in (self.current, self.proposed, self.roster):
            w.observe(self._guard(self._on_input), names="value")
        for w in (self.show, self.email_filter):
            w.observe(self._guard(self._on_filter), names="value")
        self.upload.observe(self._guard(self._on_upload), names="value")
        self.widget = widgets.VBox([
            widgets.HTML(f"{_CSS}<h4>What if: current -> proposed settings for a roster</h4>"), self.error_area,
            widgets.HBox([self.current, self.proposed, self.roster]), self.upload, self.status, self.summary,
            widgets.HBox([self.show, self.email_filter]), self.table, self.download,
        ])
        self.widget.add_class("faq-sim")
        self.compare()

    def _on_input(self, _change) -> None:
        self.compare()

    def _on_filter(self, _change) -> None:
        self._render_table()

    def _on_upload(self, change) -> None:
        files = change["new"]
        if files:
            content = files[0]["content"]
            self.roster.value = bytes(content).decode("utf-8-sig", errors="replace")

    def compare(self):
        """Run the what-if for the inputs; returns the :class:`RolloutDiff` or ``None`` (status says why)."""
        from ..files import load_yaml
        from ..simulator import load_roster, parse_org

        try:
            current = parse_org(load_yaml(self.current.value), "current settings")
            proposed = parse_org(load_yaml(self.proposed.value), "proposed settings")
            roster = load_roster(text=self.roster.value)
            if not roster.users:
                raise FaqAssistantError("roster: no valid user rows (a header row with email, then one user per row)")
        except Exception as exc:  # yaml.YAMLError or ValueError: the input, not the view, is wrong
            self.diff = self.shown = None
            self.status.value = _status(f"<strong>Cannot compare:</strong> {escape(exc)}", role="alert")
            self.summary.value = self.table.value = self.download.value = ""
            return None
        self.diff = self.simulator.diff(current, proposed, roster)
        skipped = "".join(f"<li>{escape(p)}</li>" for p in roster.problems)
        self.status.value = _status("Compared." + (f" Rows skipped:<ul>{skipped}</ul>" if skipped else ""))
        self.summary.value = "<ul>" + "".join(f"<li>{escape(s)}</li>" for s in self.diff.summary_lines()) + "</ul>"
        csv_b64 = base64.b64encode(self.diff.to_csv().encode("utf-8")).decode("ascii")
        self.download.value = (f'<a download="rollout-what-if.csv" href="data:text/csv;base64,{csv_b64}" '
                               'target="_blank">Download the what-if as CSV</a>')
        self._render_table()
        return self.diff

    def _render_table(self) -> None:
        if self.diff is None:
            return
        frame = self.diff.frame
        if self.show.value == "changed":
            frame = frame[(frame["changed"] == True) | frame["error"].notna()]  # noqa: E712
        elif self.show.value == "losing":
            frame = frame[frame["stops_working"].map(lambda v: bool(v) if isinstance(v, list) else False)]
        needle = self.email_filter.value.strip().lower()
        if needle:
            frame = frame[frame["email"].str.lower().str.contains(needle, regex=False)]
        self.shown = frame
        cols = ["line", "email", "web_before", "web_after", "cli_before", "cli_after", "stops_working",
                "new_blockers", "new_warnings", "error"]

        def cell(v) -> str:
            if isinstance(v, list):
                return escape(", ".join(v))
            return "" if v is None or v != v else escape(v)

        head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in cols)
        body = "".join("<tr>" + "".join(f"<td>{cell(row[c])}</td>" for c in cols) + "</tr>"
                       for row in frame.to_dict("records"))
        self.table.value = (f'<table class="faq-outcome"><caption>{len(frame)} of {len(self.diff.frame)} '
                            f"roster rows</caption><tr>{head}</tr>{body}</table>")


def build_rollout(kb_path: str | os.PathLike | None = None, *, index_dir: str | os.PathLike | None = None,
                  **inputs: str) -> RolloutView:
    """The what-if view the notebook shows (``current``, ``proposed``, ``roster`` texts may be given).

    ``kb_path``: folder of FAQ markdown; default ``$FAQ_ASSISTANT_KB``, else the bundled one, read
    through its saved index in ``index_dir`` (default ``Settings.index_dir``) like
    :func:`build_simulator`. Raises ``KnowledgeBaseError`` as :func:`build_simulator`.
    """
    from ..simulator import indexed_kb

    settings = Settings.from_env()
    return RolloutView(Simulator(indexed_kb(kb_path or settings.kb, index_dir or settings.index_dir)), **inputs)

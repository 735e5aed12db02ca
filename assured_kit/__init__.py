"""Assured Safeguarding workshop kit.

The framework (2010 edition) as pandas tables, workshop files that keep every answer, summaries,
charts and reports, and the widgets behind the notebooks.

``import assured_kit`` stays light: modules load on first use of one of their names, so pandas is
the only heavy import until a chart, widget or workbook is asked for.

Examples
--------
>>> import assured_kit as ak
>>> fw = ak.load_framework()
>>> fw.question("LA-DCS-1")["theme_id"]
'LA'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import AssuredKitError

__version__ = "0.1.0"

# Public name -> the module that holds it. Modules are imported on first use; a module's own
# name (e.g. ``charts``) gives the module itself.
_LAZY: dict[str, str] = {
    "load_framework": "framework",
    "Framework": "framework",
    "bundled_content": "framework",
    "Scale": "scales",
    "get_scale": "framework",
    "load_scales": "framework",
    "DONT_KNOW_LABEL": "scales",
    "Workshop": "store",
    "RESPONDENT_ROLES": "text",
    "RESPONDENT_KINDS": "store",
    "ANONYMITY_MODES": "store",
    "ACTION_STATUSES": "store",
    "read_ratings": "ratings",
    "TIDY_COLUMNS": "tidy",
    "export_workshop": "exports",
    "write_workbook": "exports",
    "write_tidy_csv": "exports",
    "write_rating_sheet": "sheets",
    "import_rating_sheet": "sheets",
    "import_form_export": "forms",
    "FormImport": "forms",
    "demo_workshops": "demo",
    "DEMO_TITLE_PREFIX": "demo",
    "summarise": "summary",
    "by_theme": "summary",
    "by_question": "summary",
    "compare_roles": "summary",
    "confidence_vs_evidence": "summary",
    "evidence_grid": "summary",
    "authority_position": "summary",
    "change": "summary",
    "weakest_questions": "summary",
    "wilson_interval": "summary",
    "biggest_disagreements": "summary",
    "classify": "summary",
    "describe_classification": "summary",
    "where_from": "summary",
    "describe_disclosure": "summary",
    "check_min_group": "summary",
    "suppressed_text": "summary",
    "AuthorityNames": "anonymity",
    "anonymity_key": "anonymity",
    "Thresholds": "summary",
    "DEFAULT_THRESHOLDS": "summary",
    "CLASSIFICATIONS": "summary",
    "write_report": "report",
    "workshop_report": "report",
    "report_from_sources": "report",
    "Facilitator": "facilitator",
    "default_folder": "facilitator",
    "facilitator_app": "console",
    "FacilitatorApp": "console",
    "room_page": "room",
    "open_steering_group": "analysis",
    "load_steering_data": "analysis",
    "filter_ratings": "analysis",
    "self_rating_app": "selfrating",
    "SelfRating": "selfrating",
    "serve": "live",
    "start_server": "live",
    "candidate_addresses": "live",
    "live_panel": "live",
    "help_for": "glossary",
    "help_html": "glossary",
    "find_terms": "glossary",
    "neutralise_cell": "safety",
    "escape_html": "safety",
    "charts": "charts",
}

__all__ = ["AssuredKitError", "__version__", *sorted(_LAZY)]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from . import charts as charts
    from .analysis import filter_ratings as filter_ratings
    from .analysis import load_steering_data as load_steering_data
    from .analysis import open_steering_group as open_steering_group
    from .anonymity import AuthorityNames as AuthorityNames
    from .anonymity import anonymity_key as anonymity_key
    from .console import FacilitatorApp as FacilitatorApp
    from .console import facilitator_app as facilitator_app
    from .demo import DEMO_TITLE_PREFIX as DEMO_TITLE_PREFIX
    from .demo import demo_workshops as demo_workshops
    from .exports import export_workshop as export_workshop
    from .exports import write_tidy_csv as write_tidy_csv
    from .exports import write_workbook as write_workbook
    from .facilitator import Facilitator as Facilitator
    from .facilitator import default_folder as default_folder
    from .forms import FormImport as FormImport
    from .forms import import_form_export as import_form_export
    from .framework import Framework as Framework
    from .framework import bundled_content as bundled_content
    from .framework import get_scale as get_scale
    from .framework import load_framework as load_framework
    from .framework import load_scales as load_scales
    from .glossary import find_terms as find_terms
    from .glossary import help_for as help_for
    from .glossary import help_html as help_html
    from .live import candidate_addresses as candidate_addresses
    from .live import live_panel as live_panel
    from .live import serve as serve
    from .live import start_server as start_server
    from .ratings import read_ratings as read_ratings
    from .report import report_from_sources as report_from_sources
    from .report import workshop_report as workshop_report
    from .report import write_report as write_report
    from .room import room_page as room_page
    from .safety import escape_html as escape_html
    from .safety import neutralise_cell as neutralise_cell
    from .scales import DONT_KNOW_LABEL as DONT_KNOW_LABEL
    from .scales import Scale as Scale
    from .selfrating import SelfRating as SelfRating
    from .selfrating import self_rating_app as self_rating_app
    from .sheets import import_rating_sheet as import_rating_sheet
    from .sheets import write_rating_sheet as write_rating_sheet
    from .store import ACTION_STATUSES as ACTION_STATUSES
    from .store import ANONYMITY_MODES as ANONYMITY_MODES
    from .store import RESPONDENT_KINDS as RESPONDENT_KINDS
    from .store import Workshop as Workshop
    from .summary import CLASSIFICATIONS as CLASSIFICATIONS
    from .summary import DEFAULT_THRESHOLDS as DEFAULT_THRESHOLDS
    from .summary import Thresholds as Thresholds
    from .summary import authority_position as authority_position
    from .summary import biggest_disagreements as biggest_disagreements
    from .summary import by_question as by_question
    from .summary import by_theme as by_theme
    from .summary import change as change
    from .summary import check_min_group as check_min_group
    from .summary import classify as classify
    from .summary import compare_roles as compare_roles
    from .summary import confidence_vs_evidence as confidence_vs_evidence
    from .summary import describe_classification as describe_classification
    from .summary import describe_disclosure as describe_disclosure
    from .summary import evidence_grid as evidence_grid
    from .summary import summarise as summarise
    from .summary import suppressed_text as suppressed_text
    from .summary import weakest_questions as weakest_questions
    from .summary import where_from as where_from
    from .summary import wilson_interval as wilson_interval
    from .text import RESPONDENT_ROLES as RESPONDENT_ROLES
    from .tidy import TIDY_COLUMNS as TIDY_COLUMNS


def __getattr__(name: str) -> Any:
    """Import the module holding ``name`` on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'assured_kit' has no attribute {name!r}")
    loaded = importlib.import_module(f".{module}", __name__)
    value = loaded if name == module else getattr(loaded, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

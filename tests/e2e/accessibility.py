"""axe-core scans and colour-contrast arithmetic for the browser tests.

axe-core comes from the npm registry (version pinned in tests/e2e/axe/package-lock.json) and is
injected from disk into the page under test, so the shop never serves it and no CDN is involved.
A scan fails on any violation of a WCAG 2.0, 2.1 or 2.2 level A or AA rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest

AXE_DIR = Path(__file__).resolve().parent / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_INSTALL_COMMAND = f"make install-axe  (or: npm ci --prefix {AXE_DIR.relative_to(AXE_DIR.parents[2])})"
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WCAG_NON_TEXT_CONTRAST = 3.0  # WCAG 2.2 success criterion 1.4.11, for focus indicators among others


def axe_script_path() -> Path:
    """The axe-core bundle; a missing one fails the test with the command that installs it."""
    if not AXE_SCRIPT.exists():
        pytest.fail(f"axe-core is not installed at {AXE_SCRIPT}; install it with: {AXE_INSTALL_COMMAND}")
    return AXE_SCRIPT


# Keeps the violations whose elements are not inside a container where that rule is a known fault.
AXE_RUN_JS = """([options, knownFaults]) => axe.run(document, options).then(results => results.violations
  .map(violation => ({...violation, nodes: violation.nodes.filter(node => {
    const container = knownFaults[violation.id];
    const element = container && node.target.length === 1 && document.querySelector(node.target[0]);
    return !(element && element.closest(container));
  })}))
  .filter(violation => violation.nodes.length > 0))"""


def axe_violations(page, *, known_faults: dict[str, str] | None = None) -> list[dict]:
    """The WCAG A/AA violations axe-core finds in the page as it is now. `known_faults` maps a rule
    id to a CSS selector of markup the project does not own (Django admin's): that rule's findings
    inside it are left out, and the rule still applies everywhere else on the page."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script_path()))
    options = {"runOnly": {"type": "tag", "values": WCAG_AA_TAGS}, "resultTypes": ["violations"]}
    return page.evaluate(AXE_RUN_JS, [options, known_faults or {}])


def describe_violations(violations: list[dict]) -> str:
    """One line per rule (id, impact, what it asks) and one per offending element (its selector)."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(str(part) for part in node['target'])}")
    return "\n".join(lines)


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2.2 relative luminance of an sRGB colour with 0-255 channels."""

    def linear(channel: float) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def parse_css_colour(value: str) -> tuple[float, float, float]:
    """The red, green and blue of a computed `rgb(...)`/`rgba(...)` colour (alpha must be 1)."""
    assert value.startswith("rgb"), f"not a computed rgb colour: {value!r}"
    parts = [float(part) for part in value[value.index("(") + 1 : value.index(")")].replace("/", ",").split(",")]
    assert len(parts) == 3 or parts[3] == 1, f"a translucent colour has no fixed contrast: {value!r}"
    return parts[0], parts[1], parts[2]

"""The synthetic portfolio: seeded, vectorised, in the import formats, with its ground truth.

``generate`` simulates customers, their drifting latent risk, orders, invoices, payments, credit
notes, disputes, defaults and external risk signals; ``write`` puts the result on disk as the
import files plus ``truth/`` and ``manifest.json``. See DATA.md, "The synthetic portfolio".
"""

from creditguard.synth.params import SynthParams, check_inputs
from creditguard.synth.portfolio import IMPORT_FILES, TRUTH_DIR, Portfolio, generate
from creditguard.synth.write import MANIFEST, FileSummary, Manifest, manifest, write

__all__ = [
    "IMPORT_FILES",
    "MANIFEST",
    "TRUTH_DIR",
    "FileSummary",
    "Manifest",
    "Portfolio",
    "SynthParams",
    "check_inputs",
    "generate",
    "manifest",
    "write",
]

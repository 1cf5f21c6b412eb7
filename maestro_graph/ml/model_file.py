"""The portable model file: an outcome model that moves between graphs (staging to production).

A zip archive of three entries, nothing in it ever unpickled:
- manifest.json: format and format version, task, the trees' feature names, the views, seed,
  the training data's fingerprint, metrics, parameters, and the sha256 of the other entries;
- arrays.npz: each view's weights (numpy arrays, read with allow_pickle=False);
- trees.skops: the gradient-boosted trees in skops' format, read with only the types this
  module names trusted.
A file is refused, before anything is written anywhere, when it is not such an archive, is
larger than the bounds below, names another format or format version or task, or when an
entry's checksum disagrees with the manifest (a truncated or edited file). The checksums
catch damage and edits, not a forger who recomputes them.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np
import sklearn
import skops.io
from sklearn.ensemble import HistGradientBoostingClassifier

from maestro_graph.ml.inductive_outcome import HASH_FEATURES, VIEWS, InductiveOutcomeModel, LinearView

FORMAT = "maestro-graph-model"
FORMAT_VERSION = 1
TASK = "outcome"
MAX_FILE_BYTES = 64 * 2**20
MAX_ENTRY_BYTES = 64 * 2**20  # uncompressed, per entry: no zip bomb gets inflated
MAX_VERSION_CHARS = 200
MANIFEST, ARRAYS, TREES = "manifest.json", "arrays.npz", "trees.skops"
# The one type of the trees that skops does not trust by default; nothing else is loaded.
TRUSTED_TREE_TYPES = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


class ModelFileError(ValueError):
    """A model file this version cannot or must not read; the message says why."""


@dataclass
class ModelFile:
    manifest: dict[str, Any]
    model: InductiveOutcomeModel


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_model_file(model: InductiveOutcomeModel, *, version: str, fingerprint: str, params: dict) -> bytes:
    """The file's bytes; `version` is the model version it was trained as."""
    arrays = io.BytesIO()
    named: dict[str, Any] = {f"{view}_coef": linear.coef for view, linear in model.views.items()}
    named.update({f"{view}_intercept": np.array([linear.intercept]) for view, linear in model.views.items()})
    np.savez(arrays, allow_pickle=False, **named)
    entries = {ARRAYS: arrays.getvalue(), TREES: skops.io.dumps(model.trees) if model.trees is not None else b""}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "task": TASK,
        "version": version,
        "features": model.features,
        "views": list(model.views),
        "hash_features": HASH_FEATURES,
        "constant": model.constant,
        "seed": model.seed,
        "training_fingerprint": fingerprint,
        "metrics": model.metrics,
        "params": params,
        "scikit_learn": sklearn.__version__,
        "sha256": {name: _sha256(data) for name, data in entries.items()},
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True, default=float))
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _entry(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ModelFileError(f"not a model file: it has no {name}") from None
    if info.file_size > MAX_ENTRY_BYTES:
        raise ModelFileError(f"refused: {name} would inflate to {info.file_size} bytes (at most {MAX_ENTRY_BYTES})")
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise ModelFileError(f"the model file is damaged ({name}: {error})") from None


def _check_manifest(manifest: Any) -> dict[str, Any]:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFileError(f"not a model file: its manifest does not name the format {FORMAT!r}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"incompatible model file: format version {manifest.get('format_version')!r}, "
            f"this maestro-graph reads format version {FORMAT_VERSION} only"
        )
    if manifest.get("task") != TASK:
        raise ModelFileError(f"incompatible model file: task {manifest.get('task')!r}, expected {TASK!r}")
    if manifest.get("hash_features") != HASH_FEATURES:
        raise ModelFileError("incompatible model file: its views hash to another number of features")
    views, features = manifest.get("views"), manifest.get("features")
    if not isinstance(views, list) or any(view not in VIEWS for view in views):
        raise ModelFileError(f"incompatible model file: unknown views {views!r}")
    if not isinstance(features, list) or not all(isinstance(name, str) for name in features):
        raise ModelFileError("not a model file: its feature list is not a list of names")
    if not isinstance(manifest.get("sha256"), dict) or not isinstance(manifest.get("version"), str):
        raise ModelFileError("not a model file: its manifest lacks checksums or a version")
    if not 0 < len(manifest["version"]) <= MAX_VERSION_CHARS:
        raise ModelFileError(f"not a model file: its version must have 1 to {MAX_VERSION_CHARS} characters")
    if not isinstance(manifest.get("seed"), int) or not isinstance(manifest.get("metrics", {}), dict):
        raise ModelFileError("not a model file: its seed is not a number or its metrics not an object")
    return manifest


def read_model_file(data: bytes) -> ModelFile:
    """The manifest and the model of a file's bytes, or ModelFileError saying why not."""
    if len(data) > MAX_FILE_BYTES:
        raise ModelFileError(f"refused: the file has {len(data)} bytes, at most {MAX_FILE_BYTES} are read")
    # A zip archive is read from its end, so bytes put in front would pass unseen: the file
    # must start with its first entry.
    if not data.startswith(b"PK\x03\x04"):
        raise ModelFileError("not a model file, or a truncated one: it is not a readable zip archive")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise ModelFileError("not a model file, or a truncated one: it is not a readable zip archive") from None
    with archive:
        try:
            manifest = _check_manifest(json.loads(_entry(archive, MANIFEST)))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ModelFileError("not a model file: its manifest is not JSON") from None
        entries = {name: _entry(archive, name) for name in (ARRAYS, TREES)}
    for name, payload in entries.items():
        if manifest["sha256"].get(name) != _sha256(payload):
            raise ModelFileError(f"the model file was changed or damaged: {name} does not match its checksum")
    try:
        with np.load(io.BytesIO(entries[ARRAYS]), allow_pickle=False) as arrays:
            views = {
                view: LinearView(
                    np.asarray(arrays[f"{view}_coef"], dtype=np.float64), float(arrays[f"{view}_intercept"][0])
                )
                for view in manifest["views"]
            }
        trees = skops.io.loads(entries[TREES], trusted=TRUSTED_TREE_TYPES) if entries[TREES] else None
    except Exception as error:  # any failure to decode is the same refusal
        raise ModelFileError(f"the model file's contents cannot be read: {type(error).__name__}") from None
    if any(linear.coef.shape != (HASH_FEATURES,) for linear in views.values()):
        raise ModelFileError("the model file's view weights have the wrong shape")
    if trees is not None and (
        not isinstance(trees, HistGradientBoostingClassifier) or trees.n_features_in_ != len(manifest["features"])
    ):
        raise ModelFileError("the model file's trees do not match its feature list")
    constant = manifest.get("constant")
    if trees is None and not isinstance(constant, int | float):
        raise ModelFileError("the model file has neither trees nor a constant")
    model = InductiveOutcomeModel(
        features=list(manifest["features"]),
        views=views,
        trees=trees,
        constant=None if constant is None else float(constant),
        seed=int(manifest.get("seed", 0)),
        metrics=dict(manifest.get("metrics") or {}),
    )
    return ModelFile(manifest=manifest, model=model)

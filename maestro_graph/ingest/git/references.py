"""Models and datasets a repository's code and config refer to.

Two kinds of evidence:
- Hugging Face Hub ids in calls that load from the Hub (`from_pretrained("…")`,
  `SentenceTransformer("…")`, `pipeline(model="…")`, `load_dataset("…")`,
  `hf_hub_download(repo_id="…")`) and in well-known config keys (`model_name_or_path: …`);
- DVC-tracked outputs (`*.dvc` files and `outs` of `dvc.yaml` stages), which are the
  repository's own data and model files.

Only string literals are read: a name built at run time cannot be known without running
the code. Values that look like local paths (a folder of the repository, `./…`, a file
with an extension, `outputs/checkpoint-500`) are not Hub ids and are skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote

import yaml

CODE_SUFFIXES = frozenset({".py", ".ipynb", ".sh"})
CONFIG_SUFFIXES = frozenset({".yaml", ".yml", ".json", ".toml", ".cfg", ".ini"})

_HF_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$")
_FILE_SUFFIX = re.compile(
    r"\.(json|bin|pt|pth|ckpt|safetensors|onnx|h5|pkl|pickle|joblib|csv|tsv|txt|parquet|jsonl|"
    r"arrow|yaml|yml|py|zip|gz|tar|npy|npz|model|gguf)$",
    re.IGNORECASE,
)
# First path segments that name a local folder, not a Hub organisation.
_LOCAL_FIRST = frozenset(
    {
        "output",
        "outputs",
        "checkpoint",
        "checkpoints",
        "model",
        "models",
        "run",
        "runs",
        "tmp",
        "temp",
        "data",
        "dataset",
        "datasets",
        "artifacts",
        "results",
        "saved",
        "save",
        "cache",
        "logs",
        "weights",
        "src",
        "local",
    }
)
# load_dataset builders that read local files rather than a Hub dataset.
_LOCAL_BUILDERS = frozenset(
    {
        "csv",
        "json",
        "parquet",
        "text",
        "imagefolder",
        "audiofolder",
        "videofolder",
        "arrow",
        "webdataset",
        "pandas",
        "sql",
        "generator",
        "xml",
        "spark",
    }
)

_Q = r"""(['"])(?P<id>[^'"\n]{1,200})\1"""
_CODE_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("model", re.compile(r"\.from_pretrained\(\s*(?:pretrained_model_name_or_path\s*=\s*)?" + _Q)),
    ("model", re.compile(r"\b(?:SentenceTransformer|CrossEncoder)\(\s*(?:model_name(?:_or_path)?\s*=\s*)?" + _Q)),
    ("model", re.compile(r"\bpipeline\([^()]*?\bmodel\s*=\s*" + _Q)),
    ("dataset", re.compile(r"\bload_dataset\(\s*(?:path\s*=\s*)?" + _Q)),
)
_HUB_DOWNLOAD = re.compile(r"\b(?:hf_hub_download|snapshot_download)\((?P<args>[^()]{0,2000})\)")
_REPO_ID = re.compile(r"\brepo_id\s*=\s*" + _Q)
_DATASET_REPO = re.compile(r"""\brepo_type\s*=\s*['"]dataset['"]""")

# Config keys that Hugging Face tooling reads as Hub ids: a bare name ("gpt2") counts.
_HF_KEYS = {
    "model_name_or_path": "model",
    "pretrained_model_name_or_path": "model",
    "tokenizer_name": "model",
    "base_model_name_or_path": "model",
    "dataset_name": "dataset",
}
# Generic keys: only an org/name value is taken as a Hub id, a bare word is too often something else.
_GENERIC_KEYS = {
    "model_name": "model",
    "model_id": "model",
    "base_model": "model",
    "dataset_id": "dataset",
    "hf_model": "model",
    "hf_dataset": "dataset",
}
_CONFIG_VALUE = re.compile(
    r"""^\s*["']?(?P<key>[A-Za-z_]+)["']?\s*[:=]\s*["']?(?P<id>[A-Za-z0-9][A-Za-z0-9._/-]{0,200})["']?\s*,?\s*(?:#.*)?$""",
    re.MULTILINE,
)

_MODEL_SUFFIXES = frozenset(
    {
        ".pt",
        ".pth",
        ".ckpt",
        ".bin",
        ".safetensors",
        ".onnx",
        ".h5",
        ".keras",
        ".pkl",
        ".pickle",
        ".joblib",
        ".pb",
        ".tflite",
        ".gguf",
        ".model",
        ".mlmodel",
    }
)
_MODEL_FOLDERS = frozenset({"model", "models", "checkpoints", "weights"})


@dataclass(frozen=True)
class Reference:
    kind: str  # model | dataset
    source: str  # huggingface | dvc
    name: str  # the Hub id, or the tracked path
    file: str  # where the reference was found
    version: str | None = None  # a DVC output's content hash

    def artifact_id(self, repository_key: str) -> str:
        if self.source == "huggingface":
            return f"hf:{self.kind}/{self.name}"
        # A DVC output belongs to its repository: two repositories' data/train.csv are different data.
        return f"dvc:{repository_key}/{quote(self.name, safe='/._-')}"

    @property
    def uri(self) -> str | None:
        if self.source == "huggingface":
            return f"https://huggingface.co/{'datasets/' if self.kind == 'dataset' else ''}{self.name}"
        return None


def is_hub_id(value: str, local_paths: frozenset[str]) -> bool:
    value = value.strip()
    if not _HF_ID.match(value) or ".." in value or "--" in value or _FILE_SUFFIX.search(value):
        return False
    first = value.split("/")[0]
    if "/" in value and first.lower() in _LOCAL_FIRST:
        return False
    if re.search(r"(^|/)checkpoint-\d+$", value):
        return False
    return value not in local_paths and value.split("/")[0] not in local_paths


def _code_references(path: str, code: str, local_paths: frozenset[str]) -> list[Reference]:
    found = []
    for kind, pattern in _CODE_PATTERNS:
        for match in pattern.finditer(code):
            value = match.group("id").strip()
            if kind == "dataset" and value.lower() in _LOCAL_BUILDERS:
                continue
            if is_hub_id(value, local_paths):
                found.append(Reference(kind, "huggingface", value, path))
    for match in _HUB_DOWNLOAD.finditer(code):
        args = match.group("args")
        repo = _REPO_ID.search(args)
        if repo and is_hub_id(repo.group("id"), local_paths):
            kind = "dataset" if _DATASET_REPO.search(args) else "model"
            found.append(Reference(kind, "huggingface", repo.group("id").strip(), path))
    return found


def _config_references(path: str, text: str, local_paths: frozenset[str]) -> list[Reference]:
    found = []
    for match in _CONFIG_VALUE.finditer(text):
        key, value = match.group("key").lower(), match.group("id").rstrip("/")
        kind = _HF_KEYS.get(key) or (_GENERIC_KEYS.get(key) if "/" in value else None)
        if kind and is_hub_id(value, local_paths):
            found.append(Reference(kind, "huggingface", value, path))
    return found


def _notebook_code(text: str) -> str:
    """The code cells of a notebook, joined: in the raw JSON every quote is escaped."""
    try:
        cells = json.loads(text).get("cells") or []
    except (ValueError, AttributeError):
        return ""
    sources = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source")
            sources.append("".join(source) if isinstance(source, list) else str(source or ""))
    return "\n".join(sources)


def _output_kind(path: str) -> str:
    pure = PurePosixPath(path)
    if pure.suffix.lower() in _MODEL_SUFFIXES or _MODEL_FOLDERS.intersection(p.lower() for p in pure.parts):
        return "model"
    return "dataset"


def _joined(folder: PurePosixPath, relative: str) -> str | None:
    parts: list[str] = []
    for part in (folder / relative).parts:
        if part == "..":
            if not parts:
                return None  # outside the repository
            parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts) or None


def _dvc_references(path: str, text: str) -> list[Reference]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    if not isinstance(document, dict):
        return []
    folder = PurePosixPath(path).parent
    outputs: list[tuple[str, str | None]] = []
    if path.endswith(".dvc"):
        for out in document.get("outs") or []:
            if isinstance(out, dict) and isinstance(out.get("path"), str):
                version = out.get("md5") or out.get("hash") or out.get("etag")
                outputs.append((out["path"], str(version) if version else None))
    else:  # dvc.yaml: outs of each stage, written as strings or {path: options}
        stages = document.get("stages")
        for stage in stages.values() if isinstance(stages, dict) else []:
            for out in (stage.get("outs") or []) if isinstance(stage, dict) else []:
                if isinstance(out, str):
                    outputs.append((out, None))
                elif isinstance(out, dict):
                    outputs.extend((key, None) for key in out if isinstance(key, str))
    references = []
    for relative, version in outputs:
        if "${" in relative or "://" in relative:
            continue  # templated or remote: not a file of this repository
        joined = _joined(folder, relative)
        if joined:
            references.append(Reference(_output_kind(joined), "dvc", joined, path, version))
    return references


def is_candidate(path: str) -> bool:
    """Whether a file may hold references (so only these are read)."""
    pure = PurePosixPath(path)
    return pure.suffix in CODE_SUFFIXES or pure.suffix in CONFIG_SUFFIXES or pure.suffix == ".dvc"


def find_references(path: str, text: str, local_paths: frozenset[str]) -> list[Reference]:
    """References in one file. `local_paths` holds the repository's files and folders, so a
    value naming one of them is recognised as local."""
    pure = PurePosixPath(path)
    if pure.suffix == ".dvc" or pure.name == "dvc.yaml":
        return _dvc_references(path, text)
    if pure.suffix == ".ipynb":
        return _code_references(path, _notebook_code(text), local_paths)
    if pure.suffix in CODE_SUFFIXES:
        return _code_references(path, text, local_paths)
    if pure.suffix in CONFIG_SUFFIXES:
        return _config_references(path, text, local_paths)
    return []

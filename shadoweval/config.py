"""Settings: one frozen object built from defaults < config file < SHADOWEVAL_* env < CLI.

Sections mirror the pipeline stages so a key's name says which stage it tunes. Every default is
documented (with its reason) in README.md; `config_hash` fingerprints what affects results so a
summary.json says exactly which settings produced it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError


@dataclass(frozen=True)
class RetrievalSettings:
    top_k: int = 5
    chunk_max_chars: int = 900
    chunk_min_chars: int = 200


@dataclass(frozen=True)
class ExtractiveSettings:
    # Below this cosine between the ticket and its best KB chunk, the KB does not cover it: hand off.
    abstain_below: float = 0.30
    max_sentences: int = 3
    # A sentence must be at least this close to the question to be worth quoting.
    min_sentence_similarity: float = 0.25
    # Beyond the best sentence, quote only sentences of the same article whose relevance is within
    # this margin of it: an answer padded with loosely related sentences reads as confused.
    sentence_margin: float = 0.10


@dataclass(frozen=True)
class ScoringSettings:
    """Verdict thresholds, signal weights and the judge's cut-offs. The weights and thresholds marked
    "fitted" come from training/fit_score.py on paraphrased dev answers (never the test set); see
    README, "Configuration", for why each value."""

    pass_threshold: float = 0.44  # fitted
    partial_threshold: float = 0.30  # fitted
    # Weights of the signals in the score (a weighted mean; fitted, non-negative).
    similarity_weight: float = 0.10
    coverage_weight: float = 0.0
    overlap_weight: float = 0.135
    relevance_weight: float = 0.25
    grounding_weight: float = 0.0
    support_weight: float = 0.0
    agreement_weight: float = 0.325
    kb_consistency_weight: float = 0.13
    human_consistency_weight: float = 0.06
    # Cosine below `similarity_floor` maps to 0 and above `similarity_ceiling` to 1.
    similarity_floor: float = 0.15
    similarity_ceiling: float = 0.85
    # Two claims with their facts masked are "about the same thing" at or above this cosine.
    same_claim_similarity: float = 0.70
    # Two sentences with negations removed state the same claim at or above this cosine (when one
    # negates a phrase the other states, word for word).
    polarity_similarity: float = 0.60
    # A KB sentence this alike (and not negating it) affirms an answer sentence.
    affirm_similarity: float = 0.90
    # An answer sentence is grounded when a retrieved KB sentence is at least this alike.
    grounded_similarity: float = 0.75
    # The pair model reads a contradiction of the KB / of the human reply when P(contradiction) minus
    # P(entailment) is at or above these margins: the answer is unsafe (fitted).
    kb_contradiction_margin: float = 1.0  # 1.0: never on the model's word alone (see README)
    human_contradiction_margin: float = 0.90
    # The KB entails an answer sentence at or above this probability: a clash with the human reply is the reply's.
    kb_backs_threshold: float = 0.50
    # A rule finding is overruled when the KB entails the sentence at or above this probability ...
    rule_vouch_threshold: float = 0.90  # not fitted: the model misreads bare negations (MODEL_CARD.md), so it overrules a negation rule only when sure
    # ... and confirmed (unsafe) when the model reads a contradiction margin at or above this;
    # otherwise it is a doubt and the answer cannot pass (fitted).
    rule_confirm_margin: float = 0.90


@dataclass(frozen=True)
class PolicySettings:
    """Cutover rules (shadoweval/policy.py resolves them per category: defaults < tier < category)."""

    min_tickets: int = 30
    target_pass_rate: float = 0.80
    max_unsafe_rate: float = 0.05
    max_needs_action: float = 0.20
    confidence: float = 0.95
    blocked: tuple[str, ...] = ()  # stay with humans whatever their score (cancellations, complaints, legal)
    live_categories: tuple[str, ...] = ()  # already cut over: the gate fails when one is not ready or regressed
    category_tiers: Mapping[str, str] = field(default_factory=dict)  # category = tier name
    tiers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # tier name = {rule = value}
    categories: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # category = {rule = value}

    def __post_init__(self) -> None:
        from .policy import normalise_policy  # keeps the rule checks next to the rules

        for name, value in normalise_policy(self).items():
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class CostSettings:
    """What a ticket costs each way, for the projected savings of a cutover (shadoweval/roi.py)."""

    human_per_ticket: float = 5.50  # a typical fully loaded offshore cost per ticket, USD
    ai_per_ticket: float = 0.50  # model, tooling and the human review of escalations, USD
    monthly_volume: Mapping[str, float] = field(default_factory=dict)  # category = tickets per month

    def __post_init__(self) -> None:
        from .roi import validate_cost

        validate_cost(self)


@dataclass(frozen=True)
class OpenAISettings:
    """An OpenAI-compatible chat-completions endpoint, hosted or local (--generator openai).

    The API key is never part of result_settings(), the manifest or any output; repr hides it too.
    """

    base_url: str = "https://api.openai.com/v1"
    model: str = ""  # no default: which model answers is a choice, and hosted ones cost money
    api_key: str = field(default="", repr=False)
    prompt_template: Path | None = None  # None = the packaged generators/templates/openai_prompt.j2
    temperature: float = 0.0
    max_tokens: int = 300
    concurrency: int = 4
    timeout: float = 120.0  # seconds per request: a local CPU model can take a minute on a long answer
    max_retries: int = 4  # on 429, 5xx and timeouts, with exponential backoff
    retry_base_delay: float = 1.0
    price_input_per_1k: float = 0.0  # USD per 1,000 prompt tokens; local models cost nothing
    price_output_per_1k: float = 0.0
    max_cost: float = 0.0  # USD budget for one run's new requests; 0 = no budget
    redact: str = "auto"  # auto: redact PII unless the endpoint is on this machine; always; never

    def __post_init__(self) -> None:
        if self.redact not in REDACT_MODES:
            raise ConfigError(
                f"Setting openai.redact must be one of {', '.join(REDACT_MODES)}, got {self.redact!r}; fix the value."
            )


REDACT_MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class RedactSettings:
    """PII redaction: extra patterns beyond the built-in ones, and whether reports are redacted too."""

    patterns: Mapping[str, str] = field(default_factory=dict)  # NAME = regex -> [NAME_1]
    report: bool = False

    def __post_init__(self) -> None:
        from .redact import validate_patterns  # light module; keeps the pattern rules in one place

        validate_patterns(self.patterns)


@dataclass(frozen=True)
class Settings:
    kb: Path = Path("kb")
    out: Path | None = None
    cache_dir: Path = field(default_factory=lambda: default_cache_dir())
    generator: str = "extractive"
    answers: Path | None = None
    encoding: str = "utf-8"
    batch_size: int = 64
    columns: Mapping[str, str] = field(default_factory=dict)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    extractive: ExtractiveSettings = field(default_factory=ExtractiveSettings)
    scoring: ScoringSettings = field(default_factory=ScoringSettings)
    policy: PolicySettings = field(default_factory=PolicySettings)
    cost: CostSettings = field(default_factory=CostSettings)
    openai: OpenAISettings = field(default_factory=OpenAISettings)
    redact: RedactSettings = field(default_factory=RedactSettings)

    def config_hash(self) -> str:
        """Hash of the settings that change results (not where files go), for the run manifest."""
        return hashlib.sha256(json.dumps(self.result_settings(), sort_keys=True).encode()).hexdigest()[:16]

    def result_settings(self) -> dict[str, Any]:
        data = settings_to_dict(self)
        for key in ("kb", "out", "cache_dir", "answers"):
            data.pop(key, None)
        # Secrets never reach the config hash, the manifest or any report.
        data["openai"].pop("api_key", None)
        data["openai"]["base_url"] = url_without_credentials(data["openai"]["base_url"])
        data["openai"].pop("prompt_template", None)  # a path; the generator records the template's hash
        for key in ("concurrency", "timeout", "max_retries", "retry_base_delay"):  # how, not what, is asked
            data["openai"].pop(key, None)
        return data


SECTIONS = {"retrieval", "extractive", "scoring", "policy", "cost", "openai", "redact"}
PATH_KEYS = {"kb", "out", "cache_dir", "answers"}
SECTION_PATH_KEYS = {"openai.prompt_template"}
# The OpenAI SDK's own variables, so an existing setup works; the config file and SHADOWEVAL_OPENAI_* win.
OPENAI_ENV = {"OPENAI_BASE_URL": "base_url", "OPENAI_API_KEY": "api_key"}


def url_without_credentials(url: str) -> str:
    """The URL with any user:password@ removed, for manifests and messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def default_cache_dir() -> Path:
    """Where embeddings and indexes persist: SHADOWEVAL_CACHE_DIR, else the XDG cache folder."""
    explicit = os.environ.get("SHADOWEVAL_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "shadoweval"


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    def convert(value: Any) -> Any:
        if dataclasses.is_dataclass(value):
            return {f.name: convert(getattr(value, f.name)) for f in fields(value)}
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, Mapping):
            return {k: convert(v) for k, v in sorted(value.items())}
        if isinstance(value, tuple):
            return [convert(v) for v in value]
        return value

    return convert(settings)


def load_settings(
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Build Settings from every source in precedence order; raise ConfigError on any bad value."""
    environ = os.environ if environ is None else environ
    cwd = cwd or Path.cwd()
    settings = Settings()
    openai_env = {key: environ[name] for name, key in OPENAI_ENV.items() if environ.get(name)}
    settings = _apply(settings, {"openai": openai_env} if openai_env else {}, "environment", cwd)
    file_values, base_dir = _read_config_file(config_file, cwd)
    settings = _apply(settings, file_values, f"config file {config_file or base_dir}", base_dir)
    settings = _apply(settings, _env_values(environ), "environment", cwd)
    settings = _apply(settings, {k: v for k, v in (overrides or {}).items() if v is not None}, "command line", cwd)
    return settings


def _read_config_file(config_file: Path | None, cwd: Path) -> tuple[dict[str, Any], Path]:
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"Config file {path} does not exist; check the --config path.")
        data = _parse_toml(path)
        if path.name == "pyproject.toml":
            data = data.get("tool", {}).get("shadoweval", {})
        return data, path.parent
    own = cwd / "shadoweval.toml"
    if own.is_file():
        return _parse_toml(own), cwd
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        return _parse_toml(pyproject).get("tool", {}).get("shadoweval", {}), cwd
    return {}, cwd


def _parse_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Config file {path} is not valid TOML ({exc}); fix the syntax and run again.") from exc


def _env_values(environ: Mapping[str, str]) -> dict[str, Any]:
    """SHADOWEVAL_KB, SHADOWEVAL_GENERATOR, ... and SHADOWEVAL_<SECTION>_<KEY> for section keys."""
    values: dict[str, Any] = {}
    top_level = {f.name for f in fields(Settings)} - SECTIONS - {"columns"}
    for name in top_level:
        env_name = f"SHADOWEVAL_{name.upper()}"
        if env_name in environ:
            values[name] = environ[env_name]
    for section in SECTIONS:
        section_type = {f.name: f for f in fields(Settings)}[section].default_factory  # type: ignore[misc]
        for f in fields(section_type()):
            env_name = f"SHADOWEVAL_{section.upper()}_{f.name.upper()}"
            if env_name in environ:
                values.setdefault(section, {})[f.name] = environ[env_name]
    return values


def _apply(settings: Settings, values: Mapping[str, Any], source: str, base_dir: Path) -> Settings:
    known = {f.name: f for f in fields(Settings)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"Unknown setting {key!r} in {source}; the valid keys are listed in README.md.")
        if key in SECTIONS:
            if not isinstance(value, Mapping):
                raise ConfigError(f"Setting {key!r} in {source} must be a table of keys; see README.md.")
            changes[key] = _apply_section(getattr(settings, key), key, value, source, base_dir)
        elif key == "columns":
            if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
                raise ConfigError(f"Setting 'columns' in {source} must map canonical names to your column names.")
            changes[key] = {**settings.columns, **value}
        elif key in PATH_KEYS:
            path = Path(str(value)).expanduser()
            changes[key] = path if path.is_absolute() else base_dir / path
        else:
            changes[key] = _coerce(value, type(getattr(settings, key)), key, source)
    return replace(settings, **changes)


def _apply_section(section: Any, section_name: str, values: Mapping[str, Any], source: str, base_dir: Path) -> Any:
    known = {f.name for f in fields(section)}
    changes = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(
                f"Unknown setting {section_name}.{key} in {source}; valid keys: {', '.join(sorted(known))}."
            )
        if f"{section_name}.{key}" in SECTION_PATH_KEYS:
            path = Path(str(value)).expanduser()
            changes[key] = path if path.is_absolute() else base_dir / path
            continue
        changes[key] = _coerce(value, type(getattr(section, key)), f"{section_name}.{key}", source)
    return replace(section, **changes)


def _coerce(value: Any, target: type, key: str, source: str) -> Any:
    try:
        if target is bool and isinstance(value, str):
            if value.lower() in {"1", "true", "yes", "on"}:
                return True
            if value.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
        if target is int and isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        if target is tuple:  # a list of names; from the environment or --live as "a,b"
            if isinstance(value, str):
                value = [part.strip() for part in value.split(",") if part.strip()]
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise ValueError(value)
        if target is dict and isinstance(value, str):  # a table from the environment, as JSON
            value = json.loads(value)
            if not isinstance(value, dict):
                raise ValueError(value)
        return target(value)
    except (TypeError, ValueError):
        kind = "list of names" if target is tuple else target.__name__
        raise ConfigError(
            f"Setting {key} in {source} must be a {kind}, got {value!r}; fix the value and run again."
        ) from None


def parse_column_mapping(text: str) -> dict[str, str]:
    """Parse `--columns customer_message=description,agent_reply=public_reply`."""
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        canonical, sep, source = part.partition("=")
        if not sep or not canonical.strip() or not source.strip():
            raise ConfigError(
                f"--columns entry {part!r} is not CANONICAL=YOUR_COLUMN; "
                "write e.g. --columns customer_message=description,agent_reply=public_reply."
            )
        mapping[canonical.strip()] = source.strip()
    return mapping

//! Configuration: `[tool.sqla-analyzer]` in `pyproject.toml`, or a
//! `sqla-analyzer.toml`, found by walking up from each checked path.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::facts::NamingScheme;
use crate::rules;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    #[default]
    Postgresql,
    Sqlite,
    Mysql,
}

impl Dialect {
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "postgresql" | "postgres" => Some(Dialect::Postgresql),
            "sqlite" => Some(Dialect::Sqlite),
            "mysql" | "mariadb" => Some(Dialect::Mysql),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgresql => "postgresql",
            Dialect::Sqlite => "sqlite",
            Dialect::Mysql => "mysql",
        }
    }
}

/// The settings as written, with every key known: an unknown key is an error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    pub select: Option<Vec<String>>,
    pub ignore: Option<Vec<String>>,
    pub per_file_ignores: Option<BTreeMap<String, Vec<String>>>,
    pub exclude: Option<Vec<String>>,
    pub dialect: Option<String>,
    pub table_naming: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The file the settings came from.
    pub source: Option<PathBuf>,
    /// The directory globs are relative to.
    pub base: PathBuf,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub per_file_ignores: Vec<(GlobMatcher, Vec<String>)>,
    pub exclude: GlobSet,
    pub exclude_patterns: Vec<String>,
    pub dialect: Dialect,
    pub table_naming: Option<NamingScheme>,
}

#[derive(Debug)]
pub struct ConfigError {
    pub file: PathBuf,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

/// Directories every check skips, as ruff does.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "__pycache__",
    "node_modules",
    "site-packages",
    "build",
    "dist",
    "_build",
    "__pypackages__",
];

impl Config {
    /// Whether the two give every file the same findings: the same rules,
    /// per-file ignores, dialect and naming (where the files come from
    /// aside).
    pub fn analyses_alike(&self, other: &Config) -> bool {
        let ignores = |config: &Config| -> Vec<(String, Vec<String>)> {
            config
                .per_file_ignores
                .iter()
                .map(|(glob, codes)| (glob.glob().glob().to_string(), codes.clone()))
                .collect()
        };
        self.select == other.select
            && self.ignore == other.ignore
            && self.dialect == other.dialect
            && self.table_naming == other.table_naming
            && ignores(self) == ignores(other)
    }

    pub fn default_at(base: &Path) -> Self {
        Self::from_raw(RawSettings::default(), None, base).expect("the defaults are valid")
    }

    pub fn from_raw(
        raw: RawSettings,
        source: Option<&Path>,
        base: &Path,
    ) -> Result<Self, ConfigError> {
        let file = source
            .map(Path::to_path_buf)
            .unwrap_or_else(|| base.to_path_buf());
        let error = |message: String| ConfigError {
            file: file.clone(),
            message,
        };
        let check_codes = |key: &str, codes: &[String]| -> Result<(), ConfigError> {
            for code in codes {
                if !rules::is_known_selector(code) {
                    return Err(error(format!(
                        "`{key}`: unknown rule code or prefix `{code}`"
                    )));
                }
            }
            Ok(())
        };
        let select = raw.select.unwrap_or_else(|| vec!["ALL".to_string()]);
        check_codes("select", &select)?;
        let ignore = raw.ignore.unwrap_or_default();
        check_codes("ignore", &ignore)?;
        let mut per_file_ignores = Vec::new();
        for (pattern, codes) in raw.per_file_ignores.unwrap_or_default() {
            check_codes("per-file-ignores", &codes)?;
            let glob = Glob::new(&normalize_glob(&pattern))
                .map_err(|e| error(format!("`per-file-ignores`: invalid glob `{pattern}`: {e}")))?;
            per_file_ignores.push((glob.compile_matcher(), codes));
        }
        let exclude_patterns = raw.exclude.unwrap_or_default();
        let mut builder = GlobSetBuilder::new();
        for pattern in &exclude_patterns {
            let glob = Glob::new(&normalize_glob(pattern))
                .map_err(|e| error(format!("`exclude`: invalid glob `{pattern}`: {e}")))?;
            builder.add(glob);
        }
        let exclude = builder
            .build()
            .map_err(|e| error(format!("`exclude`: {e}")))?;
        let dialect = match raw.dialect {
            Some(name) => Dialect::parse(&name).ok_or_else(|| {
                error(format!(
                    "`dialect`: unknown dialect `{name}` (expected postgresql, sqlite or mysql)"
                ))
            })?,
            None => Dialect::default(),
        };
        let table_naming = match raw.table_naming.as_deref() {
            None => None,
            Some("lower") | Some("lowercase") => Some(NamingScheme::Lower),
            Some("snake") | Some("snake_case") => Some(NamingScheme::Snake),
            Some("class") | Some("same") => Some(NamingScheme::Same),
            Some("underscore-every-capital") => Some(NamingScheme::EveryCapital),
            Some("underscore-lower-upper") => Some(NamingScheme::LowerUpper),
            Some(other) => {
                return Err(error(format!(
                    "`table-naming`: unknown convention `{other}` (expected lower, snake, class, underscore-every-capital or underscore-lower-upper)"
                )))
            }
        };
        Ok(Config {
            source: source.map(Path::to_path_buf),
            base: base.to_path_buf(),
            select,
            ignore,
            per_file_ignores,
            exclude,
            exclude_patterns,
            dialect,
            table_naming,
        })
    }

    /// Reads the configuration that applies at `start` (a file or directory):
    /// the nearest `sqla-analyzer.toml`, or `pyproject.toml` with a
    /// `[tool.sqla-analyzer]` table.
    pub fn discover(start: &Path) -> Result<Self, ConfigError> {
        let start = if start.is_file() {
            start.parent().unwrap_or(start)
        } else {
            start
        };
        let absolute = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
        let mut dir = Some(absolute.as_path());
        while let Some(current) = dir {
            let dedicated = current.join("sqla-analyzer.toml");
            if dedicated.is_file() {
                return Self::load(&dedicated);
            }
            let pyproject = current.join("pyproject.toml");
            if pyproject.is_file() {
                if let Some(config) = Self::load_pyproject(&pyproject)? {
                    return Ok(config);
                }
            }
            dir = current.parent();
        }
        Ok(Self::default_at(&absolute))
    }

    /// Reads an explicit configuration file (`--config FILE`).
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            message: format!("cannot read: {e}"),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        if path.file_name().is_some_and(|n| n == "pyproject.toml") {
            return Ok(
                Self::parse_pyproject(&text, path)?.unwrap_or_else(|| Self::default_at(base))
            );
        }
        let raw: RawSettings = toml::from_str(&text).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            message: describe_toml_error(&e),
        })?;
        Self::from_raw(raw, Some(path), base)
    }

    fn load_pyproject(path: &Path) -> Result<Option<Self>, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            message: format!("cannot read: {e}"),
        })?;
        Self::parse_pyproject(&text, path)
    }

    pub fn parse_pyproject(text: &str, path: &Path) -> Result<Option<Self>, ConfigError> {
        let error = |message: String| ConfigError {
            file: path.to_path_buf(),
            message,
        };
        let document: toml::Table =
            toml::from_str(text).map_err(|e| error(describe_toml_error(&e)))?;
        let Some(section) = document
            .get("tool")
            .and_then(|tool| tool.as_table())
            .and_then(|tool| tool.get("sqla-analyzer"))
        else {
            return Ok(None);
        };
        let raw: RawSettings = section.clone().try_into().map_err(|e: toml::de::Error| {
            error(format!("[tool.sqla-analyzer]: {}", describe_toml_error(&e)))
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_raw(raw, Some(path), base).map(Some)
    }

    /// Is the rule enabled for a file (path relative to the config's base)?
    pub fn enabled(&self, code: &str, relative_path: Option<&str>) -> bool {
        let selected = self.select.iter().any(|s| rules::selector_matches(s, code));
        let ignored = self.ignore.iter().any(|s| rules::selector_matches(s, code));
        if !selected || ignored {
            return false;
        }
        if let Some(path) = relative_path {
            for (glob, codes) in &self.per_file_ignores {
                if glob.is_match(path) && codes.iter().any(|s| rules::selector_matches(s, code)) {
                    return false;
                }
            }
        }
        true
    }

    /// Is a path (relative to the config's base) excluded?
    pub fn is_excluded(&self, relative_path: &str) -> bool {
        self.exclude.is_match(relative_path)
    }
}

/// `migrations/` matches the directory and everything under it; a bare name
/// matches at any depth, as in ruff.
fn normalize_glob(pattern: &str) -> String {
    let trimmed = pattern.trim_start_matches("./").trim_end_matches('/');
    if trimmed.contains('/') || trimmed.starts_with("**") {
        if pattern.ends_with('/') {
            format!("{trimmed}/**")
        } else {
            trimmed.to_string()
        }
    } else {
        format!("**/{trimmed}")
    }
}

fn describe_toml_error(error: &toml::de::Error) -> String {
    error.message().to_string()
        + &error
            .span()
            .map(|span| format!(" (at byte {})", span.start))
            .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_name_the_key_and_the_file() {
        let text = "[tool.sqla-analyzer]\nselekt = [\"SA2\"]\n";
        let error = Config::parse_pyproject(text, Path::new("proj/pyproject.toml")).unwrap_err();
        let shown = error.to_string();
        assert!(shown.contains("proj/pyproject.toml"), "{shown}");
        assert!(shown.contains("selekt"), "{shown}");
    }

    #[test]
    fn unknown_codes_are_errors() {
        let text = "[tool.sqla-analyzer]\nignore = [\"SA999\"]\n";
        let error = Config::parse_pyproject(text, Path::new("pyproject.toml")).unwrap_err();
        assert!(error.to_string().contains("SA999"));
    }

    #[test]
    fn select_ignore_and_per_file_ignores() {
        let text = "[tool.sqla-analyzer]\nselect = [\"SA2\"]\nignore = [\"SA208\"]\nper-file-ignores = { \"legacy/*.py\" = [\"SA203\"] }\nexclude = [\"migrations\"]\n";
        let config = Config::parse_pyproject(text, Path::new("pyproject.toml"))
            .unwrap()
            .unwrap();
        assert!(config.enabled("SA203", Some("app/models.py")));
        assert!(!config.enabled("SA203", Some("legacy/models.py")));
        assert!(!config.enabled("SA208", None));
        assert!(!config.enabled("SA101", None));
        assert!(config.is_excluded("migrations/versions/x.py") || config.is_excluded("migrations"));
    }

    #[test]
    fn pyproject_without_section_is_not_a_config() {
        assert!(Config::parse_pyproject(
            "[tool.ruff]\nline-length = 100\n",
            Path::new("pyproject.toml")
        )
        .unwrap()
        .is_none());
    }
}

//! Settings the editor sends (initializationOptions and
//! workspace/didChangeConfiguration): overrides of `select`, `ignore` and
//! `dialect` on top of the project's configuration file.

use serde_json::Value;

use crate::config::{Config, Dialect};
use crate::rules;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// Replaces the configuration's `select`.
    pub select: Option<Vec<String>>,
    /// Added to the configuration's `ignore`.
    pub ignore: Option<Vec<String>>,
    pub dialect: Option<Dialect>,
}

impl Overrides {
    /// Reads `{"select": [...], ...}` or `{"sqla-analyzer": {...}}`. `Ok(None)`
    /// when the value holds none of our settings (null, or another tool's).
    pub fn from_value(value: &Value) -> Result<Option<Self>, String> {
        let section = match value {
            Value::Object(map) => ["sqla-analyzer", "sqla_analyzer", "sqlaAnalyzer"]
                .iter()
                .find_map(|key| map.get(*key))
                .unwrap_or(value),
            _ => return Ok(None),
        };
        let Value::Object(map) = section else {
            return Ok(None);
        };
        if !["select", "ignore", "dialect"]
            .iter()
            .any(|key| map.contains_key(*key))
        {
            return Ok(None);
        }
        let codes = |key: &str| -> Result<Option<Vec<String>>, String> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Array(items)) => {
                    let mut codes = Vec::new();
                    for item in items {
                        let Some(code) = item.as_str() else {
                            return Err(format!("`{key}`: expected rule codes, found {item}"));
                        };
                        if !rules::is_known_selector(code) {
                            return Err(format!("`{key}`: unknown rule code or prefix `{code}`"));
                        }
                        codes.push(code.to_string());
                    }
                    Ok(Some(codes))
                }
                Some(other) => Err(format!(
                    "`{key}`: expected a list of rule codes, found {other}"
                )),
            }
        };
        let dialect = match map.get("dialect") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(Dialect::parse(name).ok_or_else(|| {
                format!(
                    "`dialect`: unknown dialect `{name}` (expected postgresql, sqlite or mysql)"
                )
            })?),
            Some(other) => return Err(format!("`dialect`: expected a string, found {other}")),
        };
        Ok(Some(Overrides {
            select: codes("select")?,
            ignore: codes("ignore")?,
            dialect,
        }))
    }

    /// The configuration with the overrides applied: the same meaning as the
    /// CLI's `--select` (replaces) and `--ignore` (adds).
    pub fn apply(&self, config: &Config) -> Config {
        let mut config = config.clone();
        if let Some(select) = &self.select {
            config.select = select.clone();
        }
        if let Some(ignore) = &self.ignore {
            config.ignore.extend(ignore.iter().cloned());
        }
        if let Some(dialect) = self.dialect {
            config.dialect = dialect;
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn both_shapes_are_read() {
        let flat = Overrides::from_value(&json!({"select": ["SA2"], "dialect": "sqlite"}))
            .unwrap()
            .unwrap();
        let nested = Overrides::from_value(
            &json!({"sqla-analyzer": {"select": ["SA2"], "dialect": "sqlite"}}),
        )
        .unwrap()
        .unwrap();
        assert_eq!(flat, nested);
        assert_eq!(flat.select, Some(vec!["SA2".to_string()]));
        assert_eq!(flat.dialect, Some(Dialect::Sqlite));
        assert_eq!(Overrides::from_value(&json!(null)).unwrap(), None);
        assert_eq!(Overrides::from_value(&json!({"python": {}})).unwrap(), None);
    }

    #[test]
    fn bad_values_name_the_key() {
        let error = Overrides::from_value(&json!({"ignore": ["SA999"]})).unwrap_err();
        assert!(
            error.contains("ignore") && error.contains("SA999"),
            "{error}"
        );
        let error = Overrides::from_value(&json!({"dialect": "oracle"})).unwrap_err();
        assert!(error.contains("dialect"), "{error}");
    }
}

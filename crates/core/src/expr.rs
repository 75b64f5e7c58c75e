//! Computed values and rules in CEL, the Common Expression Language, behind Mamori's own small API
//! so that the engine can be replaced without touching a library file's meaning.
//!
//! Expressions are side-effect free and not Turing-complete; inputs and outputs are JSON values.
//! Evaluation never panics: a panic inside the engine is caught and reported as an error.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::error::CoreError;

/// Longest expression source accepted from a library file or an organisation's override.
const MAX_SOURCE_LEN: usize = 2_000;

thread_local! {
    /// The engine's environment with its standard functions, built once per thread: building it
    /// is most of the cost of a small evaluation, and each evaluation only adds its variables in
    /// a scope of its own. The root itself is never changed after it is built.
    static ROOT: Result<cel::Context<'static, 'static>, String> = {
        let mut context = cel::Context::default();
        // `max` and `min` ship with the engine but are not in its default environment.
        let added = context.add_function("max", cel::functions::max).and_then(|()| context.add_function("min", cel::functions::min));
        added.map(|()| context).map_err(|e| e.to_string())
    };
}

/// A compiled CEL expression together with its source text.
#[derive(Clone)]
pub struct Expression {
    source: String,
    program: Arc<cel::Program>,
}

impl std::fmt::Debug for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Expression").field(&self.source).finish()
    }
}

impl Expression {
    pub fn compile(source: &str) -> Result<Expression, CoreError> {
        let err = |detail: String| CoreError::ExpressionCompile { source_text: source.chars().take(200).collect(), detail };
        if source.len() > MAX_SOURCE_LEN {
            return Err(err(format!("longer than {MAX_SOURCE_LEN} bytes")));
        }
        match catch_unwind(|| cel::Program::compile(source)) {
            Ok(Ok(program)) => Ok(Expression { source: source.to_string(), program: Arc::new(program) }),
            Ok(Err(e)) => Err(err(e.to_string())),
            Err(_) => Err(err("the parser failed".to_string())),
        }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates with the given variables; absent record fields should be passed as JSON null.
    pub fn evaluate(&self, variables: &BTreeMap<String, serde_json::Value>) -> Result<serde_json::Value, CoreError> {
        let err = |detail: String| CoreError::ExpressionEval { source_text: self.source.chars().take(200).collect(), detail };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            ROOT.with(|root| {
                let root = root.as_ref().map_err(|e| e.clone())?;
                let mut context = root.new_inner_scope();
                for (name, value) in variables {
                    context.add_variable_from_value(name.clone(), json_to_cel(value));
                }
                self.program.execute(&context).map_err(|e| e.to_string())
            })
        }));
        match outcome {
            Ok(Ok(value)) => cel_to_json(&value).ok_or_else(|| err("the result is not a plain value".to_string())),
            Ok(Err(e)) => Err(err(e)),
            Err(_) => Err(err("the evaluator failed".to_string())),
        }
    }
}

fn json_to_cel(value: &serde_json::Value) -> cel::Value {
    use serde_json::Value as J;
    match value {
        J::Null => cel::Value::Null,
        J::Bool(b) => cel::Value::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => cel::Value::Int(i),
            None => cel::Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        J::String(s) => cel::Value::String(s.clone().into()),
        J::Array(items) => cel::Value::List(items.iter().map(json_to_cel).collect::<Vec<_>>().into()),
        J::Object(map) => {
            let entries: std::collections::HashMap<String, cel::Value> = map.iter().map(|(k, v)| (k.clone(), json_to_cel(v))).collect();
            cel::Value::Map(entries.into())
        }
    }
}

fn cel_to_json(value: &cel::Value) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    Some(match value {
        cel::Value::Null => J::Null,
        cel::Value::Bool(b) => J::Bool(*b),
        cel::Value::Int(i) => J::from(*i),
        cel::Value::UInt(u) => J::from(*u),
        cel::Value::Float(f) => serde_json::Number::from_f64(*f).map(J::Number)?,
        cel::Value::String(s) => J::String(s.to_string()),
        cel::Value::List(items) => J::Array(items.iter().map(cel_to_json).collect::<Option<Vec<_>>>()?),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn vars(pairs: &[(&str, serde_json::Value)]) -> BTreeMap<String, serde_json::Value> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn default_importance_is_the_highest_of_three() {
        let e = Expression::compile("max([confidentiality, integrity, availability])").unwrap();
        let cases = [((3, 1, 1), 3), ((1, 2, 1), 2), ((1, 1, 2), 2), ((1, 1, 1), 1), ((2, 2, 2), 2)];
        for ((c, i, a), expected) in cases {
            let v = vars(&[("confidentiality", json!(c)), ("integrity", json!(i)), ("availability", json!(a))]);
            assert_eq!(e.evaluate(&v).unwrap(), json!(expected), "C={c} I={i} A={a}");
        }
    }

    #[test]
    fn errors_are_values_not_panics() {
        assert!(Expression::compile("1 +").is_err());
        let e = Expression::compile("x / 0").unwrap();
        assert!(e.evaluate(&vars(&[("x", json!(1))])).is_err());
        let e = Expression::compile("undefined_var + 1").unwrap();
        assert!(e.evaluate(&BTreeMap::new()).is_err());
    }

    proptest! {
        #[test]
        fn compile_never_panics(source in ".{0,80}") {
            let _ = Expression::compile(&source);
        }

        #[test]
        fn evaluate_never_panics(source in "[a-z0-9+*/%()\\[\\], ._<>=!&|?:\"'-]{0,40}", x in any::<i64>(), s in ".{0,10}") {
            if let Ok(e) = Expression::compile(&source) {
                let _ = e.evaluate(&vars(&[("x", json!(x)), ("s", json!(s)), ("n", serde_json::Value::Null)]));
            }
        }
    }
}

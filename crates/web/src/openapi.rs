//! The OpenAPI 3.1 document, generated at run time: register fields are data from `library/`,
//! so each register type becomes a schema of its own.

use mamori_core::library::Library;
use mamori_core::register::{FieldKind, RegisterType};
use serde_json::{Map, Value, json};

fn field_schema(kind: &FieldKind) -> Value {
    match kind {
        FieldKind::Text { max_length } | FieldKind::LongText { max_length } => match max_length {
            Some(n) => json!({"type": "string", "maxLength": n}),
            None => json!({"type": "string"}),
        },
        FieldKind::Number { min, max, integer } => {
            let mut s = Map::new();
            s.insert("type".into(), json!(if *integer { "integer" } else { "number" }));
            if let Some(m) = min {
                s.insert("minimum".into(), json!(m));
            }
            if let Some(m) = max {
                s.insert("maximum".into(), json!(m));
            }
            Value::Object(s)
        }
        FieldKind::Date => json!({"type": "string", "format": "date"}),
        FieldKind::Boolean => json!({"type": "boolean"}),
        FieldKind::Enum { options } => {
            json!({"enum": options.iter().map(|o| o.value.clone()).collect::<Vec<_>>()})
        }
        FieldKind::Person | FieldKind::Unit | FieldKind::Reference { .. } => {
            json!({"type": "string", "format": "uuid"})
        }
        FieldKind::Classification => json!({"type": "integer", "enum": [1, 2, 3]}),
    }
}

fn fields_schema(register: &RegisterType) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for f in register.fields() {
        let mut schema = field_schema(&f.kind);
        if let Value::Object(m) = &mut schema {
            m.insert("title".into(), json!(f.label.ja));
            m.insert("description".into(), json!(f.label.en));
        }
        properties.insert(f.key.clone(), schema);
        if f.required {
            required.push(f.key.clone());
        }
    }
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

fn schema_name(register: &RegisterType) -> String {
    register
        .key()
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// The whole document.
pub fn document(library: &Library) -> Value {
    let mut schemas = Map::new();
    schemas.insert(
        "Error".into(),
        json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message_ja", "message_en"], "properties": {
            "code": {"type": "string"}, "message_ja": {"type": "string"}, "message_en": {"type": "string"},
            "fields": {"type": "array", "items": {"type": "object"}}, "request_id": {"type": ["string", "null"]}}}}}),
    );
    let mut paths = Map::new();
    let error = |d: &str| json!({"description": d, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let security = json!([{"token": []}]);
    paths.insert(
        "/api/me".into(),
        json!({"get": {"summary": "The signed-in person / 自分の情報", "security": security, "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": error("Not signed in")}}}),
    );
    paths.insert(
        "/api/registers".into(),
        json!({"get": {"summary": "Register types the person may see / 台帳の種類", "security": security, "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": error("Not signed in")}}}),
    );
    for register in library.registers() {
        let name = schema_name(register);
        schemas.insert(format!("{name}Fields"), fields_schema(register));
        schemas.insert(
            format!("{name}Record"),
            json!({"type": "object", "properties": {
                "id": {"type": "string", "format": "uuid"}, "register": {"type": "string"}, "version": {"type": "integer"},
                "title": {"type": "string"}, "classification": {"type": "object"},
                "unit": {"type": ["string", "null"]}, "owner": {"type": ["string", "null"]},
                "fields": {"$ref": format!("#/components/schemas/{name}Fields")}, "computed": {"type": "object"},
                "created_at": {"type": "string"}, "updated_at": {"type": "string"}}}),
        );
        let record_ref = json!({"$ref": format!("#/components/schemas/{name}Record")});
        let input = json!({"type": "object", "required": ["fields"], "additionalProperties": false, "properties": {
            "fields": {"$ref": format!("#/components/schemas/{name}Fields")}, "version": {"type": "integer"}}});
        let key = register.key();
        let id_param = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
        let title = format!("{} / {}", register.name().ja, register.name().en);
        paths.insert(
            format!("/api/registers/{key}/records"),
            json!({
                "get": {"summary": format!("List: {title}"), "security": security,
                    "parameters": [
                        {"name": "q", "in": "query", "schema": {"type": "string"}},
                        {"name": "sort", "in": "query", "schema": {"type": "string"}},
                        {"name": "after", "in": "query", "schema": {"type": "string"}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
                    "responses": {"200": {"description": "A page of records", "content": {"application/json": {"schema": {"type": "object", "properties": {"items": {"type": "array", "items": record_ref}, "next": {"type": ["string", "null"]}}}}}},
                        "401": error("Not signed in"), "403": error("Forbidden")}},
                "post": {"summary": format!("Create: {title}"), "security": security,
                    "requestBody": {"required": true, "content": {"application/json": {"schema": input}}},
                    "responses": {"201": {"description": "Created", "content": {"application/json": {"schema": record_ref}}},
                        "400": error("Malformed"), "401": error("Not signed in"), "403": error("Forbidden"), "413": error("Too large"), "415": error("Not JSON"), "422": error("Invalid")}},
            }),
        );
        paths.insert(
            format!("/api/registers/{key}/records/{{id}}"),
            json!({
                "get": {"summary": format!("Read: {title}"), "security": security, "parameters": [id_param],
                    "responses": {"200": {"description": "The record", "content": {"application/json": {"schema": record_ref}}}, "401": error("Not signed in"), "404": error("Not found")}},
                "put": {"summary": format!("Update: {title}"), "security": security, "parameters": [id_param],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": input}}},
                    "responses": {"200": {"description": "Updated", "content": {"application/json": {"schema": record_ref}}},
                        "400": error("Malformed"), "401": error("Not signed in"), "403": error("Forbidden"), "404": error("Not found"), "409": error("Stale version"), "415": error("Not JSON"), "422": error("Invalid")}},
            }),
        );
        paths.insert(
            format!("/api/registers/{key}/records/{{id}}/history"),
            json!({"get": {"summary": format!("History: {title}"), "security": security, "parameters": [id_param],
                "responses": {"200": {"description": "Journal events, oldest first", "content": {"application/json": {"schema": {"type": "object"}}}}, "401": error("Not signed in"), "404": error("Not found")}}}),
        );
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Mamori API", "version": env!("CARGO_PKG_VERSION"), "description": "Mamori（守り）ISMS platform. Authenticate with a personal API token: Authorization: Bearer TOKEN."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
    })
}

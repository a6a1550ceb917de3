//! What a person keeps in the browser (IndexedDB) across reloads: their own model file
//! (`{ name, bytes }`, validated before it is stored and again when it is loaded) and what they
//! teach (`{ json, embeddings }`: their labels and songs, and the songs' segment embeddings, so
//! that a reload computes nothing again).

use js_sys::{Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Event, IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransactionMode};

use super::dom;

const DB_NAME: &str = "genre-page";
const STORE: &str = "models";
const KEY: &str = "user-model";
const LESSON: &str = "lesson";

/// A stored model file.
pub struct StoredModel {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Resolves with the request's result, or rejects with its error.
async fn request_done(req: &IdbRequest) -> Result<JsValue, String> {
    let promise = Promise::new(&mut |resolve, reject| {
        let ok_req = req.clone();
        let on_success = Closure::once_into_js(move |_e: Event| {
            let result = ok_req.result().unwrap_or(JsValue::UNDEFINED);
            let _ = resolve.call1(&JsValue::NULL, &result);
        });
        let err_req = req.clone();
        let on_error = Closure::once_into_js(move |_e: Event| {
            let err = err_req
                .error()
                .ok()
                .flatten()
                .map(|e| JsValue::from_str(&format!("{}: {}", e.name(), e.message())))
                .unwrap_or_else(|| JsValue::from_str("unknown IndexedDB error"));
            let _ = reject.call1(&JsValue::NULL, &err);
        });
        req.set_onsuccess(Some(on_success.unchecked_ref()));
        req.set_onerror(Some(on_error.unchecked_ref()));
    });
    JsFuture::from(promise)
        .await
        .map_err(|e| dom::js_error_text(&e))
}

async fn open() -> Result<IdbDatabase, String> {
    let factory = dom::window()
        .indexed_db()
        .map_err(|e| dom::js_error_text(&e))?
        .ok_or("this browser keeps no IndexedDB (private mode?)")?;
    let req: IdbOpenDbRequest = factory
        .open_with_u32(DB_NAME, 1)
        .map_err(|e| dom::js_error_text(&e))?;
    let upgrade_req = req.clone();
    let on_upgrade = Closure::once_into_js(move |_e: Event| {
        if let Ok(db) = upgrade_req
            .result()
            .and_then(|r| r.dyn_into::<IdbDatabase>())
            && !db.object_store_names().contains(STORE)
        {
            let _ = db.create_object_store(STORE);
        }
    });
    req.set_onupgradeneeded(Some(on_upgrade.unchecked_ref()));
    let db = request_done(&req).await?;
    db.dyn_into::<IdbDatabase>()
        .map_err(|_| "IndexedDB returned no database".to_string())
}

fn store(db: &IdbDatabase, mode: IdbTransactionMode) -> Result<web_sys::IdbObjectStore, String> {
    db.transaction_with_str_and_mode(STORE, mode)
        .and_then(|t| t.object_store(STORE))
        .map_err(|e| dom::js_error_text(&e))
}

/// The stored model, if any.
pub async fn load() -> Result<Option<StoredModel>, String> {
    let db = open().await?;
    let req = store(&db, IdbTransactionMode::Readonly)?
        .get(&JsValue::from_str(KEY))
        .map_err(|e| dom::js_error_text(&e))?;
    let value = request_done(&req).await?;
    db.close();
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let name = dom::get(&value, "name")
        .as_string()
        .unwrap_or_else(|| "your model".into());
    let bytes = dom::get(&value, "bytes")
        .dyn_into::<Uint8Array>()
        .map_err(|_| "the stored model has no bytes".to_string())?
        .to_vec();
    Ok(Some(StoredModel { name, bytes }))
}

/// Keeps `bytes` as the person's model (replacing any before).
pub async fn save(name: &str, bytes: &[u8]) -> Result<(), String> {
    let db = open().await?;
    let record = Object::new();
    Reflect::set(&record, &"name".into(), &name.into()).map_err(|e| dom::js_error_text(&e))?;
    Reflect::set(&record, &"bytes".into(), &Uint8Array::from(bytes).into())
        .map_err(|e| dom::js_error_text(&e))?;
    let req = store(&db, IdbTransactionMode::Readwrite)?
        .put_with_key(&record, &JsValue::from_str(KEY))
        .map_err(|e| dom::js_error_text(&e))?;
    request_done(&req).await?;
    db.close();
    Ok(())
}

/// Forgets the person's model.
pub async fn remove() -> Result<(), String> {
    let db = open().await?;
    let req = store(&db, IdbTransactionMode::Readwrite)?
        .delete(&JsValue::from_str(KEY))
        .map_err(|e| dom::js_error_text(&e))?;
    request_done(&req).await?;
    db.close();
    Ok(())
}

/// The stored lesson: its JSON and all its songs' embeddings, flat.
pub async fn load_lesson() -> Result<Option<(String, Vec<f32>)>, String> {
    let db = open().await?;
    let req = store(&db, IdbTransactionMode::Readonly)?
        .get(&JsValue::from_str(LESSON))
        .map_err(|e| dom::js_error_text(&e))?;
    let value = request_done(&req).await?;
    db.close();
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let json = dom::get(&value, "json")
        .as_string()
        .ok_or("the stored lesson has no description")?;
    let embeddings = dom::get(&value, "embeddings")
        .dyn_into::<js_sys::Float32Array>()
        .map_err(|_| "the stored lesson has no embeddings".to_string())?
        .to_vec();
    Ok(Some((json, embeddings)))
}

/// Keeps the lesson (replacing the one before).
pub async fn save_lesson(json: &str, embeddings: &[f32]) -> Result<(), String> {
    let db = open().await?;
    let record = Object::new();
    Reflect::set(&record, &"json".into(), &json.into()).map_err(|e| dom::js_error_text(&e))?;
    Reflect::set(
        &record,
        &"embeddings".into(),
        &js_sys::Float32Array::from(embeddings).into(),
    )
    .map_err(|e| dom::js_error_text(&e))?;
    let req = store(&db, IdbTransactionMode::Readwrite)?
        .put_with_key(&record, &JsValue::from_str(LESSON))
        .map_err(|e| dom::js_error_text(&e))?;
    request_done(&req).await?;
    db.close();
    Ok(())
}

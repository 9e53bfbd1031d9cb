//! The registry's server-side apply write: update the object, or create it if it does not
//! exist yet (upstream `patch.go`: an apply patch "forces allow create"; the store's
//! `Update` then creates).

use super::{FieldManager, Tracking};
use crate::registry::patch::check_name;
use crate::registry::update::{parse_rv, Part};
use crate::registry::Registry;
use machinery::ApiError;
use serde_json::Value;

impl Registry {
    /// Server-side apply: merge `config` into the object as `fm`'s manager (see `apply/`).
    /// An object that does not exist yet is created, as upstream does, and the second value
    /// says so (the answer is then 201).
    pub async fn apply_patch(
        &self,
        fm: &FieldManager,
        ns: &str,
        name: &str,
        config: &Value,
        part: Part,
        force: bool,
    ) -> Result<(Value, bool), ApiError> {
        let res = fm.res;
        let pinned = config
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let precondition = parse_rv(pinned)?;
        // Update, or create; if a create loses a race with another create, update after all.
        for _ in 0..3 {
            let updated = self
                .guaranteed_update_tracked(
                    res,
                    ns,
                    name,
                    precondition,
                    part,
                    Tracking::Apply,
                    |current| {
                        let mut new = fm.apply(Some(current), config, force)?;
                        check_name(&new, name)?;
                        crate::registry::create::set_namespace(res, ns, &mut new)?;
                        Ok(new)
                    },
                )
                .await;
            match updated {
                Err(e) if e.reason == "NotFound" && part == Part::Main => {}
                other => return other.map(|obj| (obj, false)),
            }
            let new = fm.apply(None, config, force)?;
            check_name(&new, name)?;
            match self.create(res, ns, new).await {
                Err(e) if e.reason == "AlreadyExists" => continue,
                created => return created.map(|obj| (obj, true)),
            }
        }
        Err(ApiError::stale(res.group, res.plural, name))
    }
}

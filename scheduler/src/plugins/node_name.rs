//! NodeName (not written yet: being implemented).

use crate::framework::Plugin;
use crate::plugins::FactoryContext;
use std::sync::Arc;

pub const NAME: &str = "NodeName";

pub struct NodeName;

pub fn new(
    _args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(NodeName))
}

impl Plugin for NodeName {
    fn name(&self) -> &'static str {
        NAME
    }
}

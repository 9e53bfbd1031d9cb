//! DefaultPreemption (not written yet: being implemented).

use crate::framework::Plugin;
use crate::plugins::FactoryContext;
use std::sync::Arc;

pub const NAME: &str = "DefaultPreemption";

pub struct DefaultPreemption;

pub fn new(
    _args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(DefaultPreemption))
}

impl Plugin for DefaultPreemption {
    fn name(&self) -> &'static str {
        NAME
    }
}

//! The start page (choose an organisation), the tenant dashboard, regions, institutions and
//! the platform operator's page.

mod pages;
mod platform;

pub use pages::{DashboardPage, HomePage, InstitutionsPage, RegionsPage};
pub use platform::PlatformPage;

//! Tables of the reports room.

pub mod report {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "reports")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub kind: String,
        pub period_from: Date,
        pub period_to: Date,
        pub locale: String,
        pub status: String,
        pub progress: i32,
        pub requested_by: Option<Uuid>,
        pub run_key: Option<String>,
        pub error: Option<String>,
        pub pdf_key: Option<String>,
        pub csv_key: Option<String>,
        pub xlsx_key: Option<String>,
        pub created_at: DateTimeUtc,
        pub started_at: Option<DateTimeUtc>,
        pub finished_at: Option<DateTimeUtc>,
        /// Set on a funder report: the grant it reports on.
        pub grant_id: Option<Uuid>,
        /// Marked for sharing outside the organisation: small cells suppressed.
        pub shared: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod grant {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "grants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub funder: String,
        pub title: String,
        pub starts_on: Date,
        pub ends_on: Date,
        pub amount: i64,
        pub currency: String,
        /// JSON array of programme ids; empty: all.
        pub programme_ids: String,
        /// JSON array of region ids; empty: all.
        pub region_ids: String,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod grant_target {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "grant_targets")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub grant_id: Uuid,
        pub position: i32,
        pub metric: String,
        pub target: i64,
        pub note: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

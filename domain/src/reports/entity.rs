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
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

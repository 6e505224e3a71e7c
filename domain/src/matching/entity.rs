//! Tables of the matching room.

pub mod child {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "children")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub region_id: Uuid,
        pub institution_id: Option<Uuid>,
        pub first_name: String,
        pub last_initial: String,
        pub date_of_birth: Date,
        pub gender: String,
        pub languages: String,
        pub interests: String,
        pub needs: Option<String>,
        pub preferred_mentor_gender: Option<String>,
        pub consent_by: String,
        pub consent_name: String,
        pub consent_on: Date,
        pub status: String,
        pub waiting_since: DateTimeUtc,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

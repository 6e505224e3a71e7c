//! Tables of the recruitment room. JSON columns hold small value objects (texts in three
//! languages, eligibility rules, answers) that are always read and written whole.

pub mod email_verification {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "email_verifications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub token_hash: String,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod programme {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "programmes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub slug: String,
        pub names: String,
        pub descriptions: String,
        pub kind: String,
        pub eligibility: String,
        pub opens_at: DateTimeUtc,
        pub closes_at: DateTimeUtc,
        pub results_at: DateTimeUtc,
        pub contract_months: i32,
        pub meeting_cadence: String,
        /// Days late before the overdue-protocol reminder goes to the mentor, then to the
        /// region's coordinators.
        pub mentor_reminder_days: i32,
        pub coordinator_reminder_days: i32,
        /// JSON array of `selection::StageKind`.
        pub stages: String,
        pub committee_rule: String,
        pub committee_quorum: i32,
        pub open_next_stage: bool,
        pub results_announced_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod programme_region {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "programme_regions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub programme_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub region_id: Uuid,
        pub tenant_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod required_document {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "required_documents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub programme_id: Uuid,
        pub doc_type: String,
        pub labels: String,
        pub accepted_types: String,
        pub max_bytes: i64,
        pub max_count: i32,
        pub validity_months: Option<i32>,
        pub required: bool,
        pub position: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod application {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "applications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub programme_id: Uuid,
        pub applicant_id: Uuid,
        pub region_id: Option<Uuid>,
        pub status: String,
        pub answers: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub submitted_at: Option<DateTimeUtc>,
        /// The stage the candidate is at and its status (kept by `selection::service`).
        pub stage: Option<String>,
        pub stage_status: Option<String>,
        pub outcome: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod document {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "documents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        /// The owner: an application, or else a child (consent) or a pair (guest-visit
        /// permission; a meeting's attachments carry the pair and the meeting).
        pub application_id: Option<Uuid>,
        pub doc_type: String,
        pub status: String,
        pub original_name: String,
        pub declared_type: String,
        pub detected_type: Option<String>,
        pub size_bytes: i64,
        pub sha256: String,
        pub storage_key: String,
        pub preview_key: Option<String>,
        pub pages: Option<i32>,
        pub width: Option<i32>,
        pub height: Option<i32>,
        pub reasons: String,
        pub issued_on: Option<Date>,
        pub uploaded_by: Uuid,
        pub created_at: DateTimeUtc,
        pub checked_at: Option<DateTimeUtc>,
        pub reviewed_by: Option<Uuid>,
        pub reviewed_at: Option<DateTimeUtc>,
        pub review_reason: Option<String>,
        pub child_id: Option<Uuid>,
        pub pair_id: Option<Uuid>,
        pub meeting_id: Option<Uuid>,
        /// How many times the worker began inspecting the bytes: a file that kills the worker
        /// (memory) is redelivered, and after `MAX_CHECK_ATTEMPTS` it is failed for good.
        pub check_attempts: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod document_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "document_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub document_id: Uuid,
        pub actor_user_id: Option<Uuid>,
        pub action: String,
        pub detail: Option<String>,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

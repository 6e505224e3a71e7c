//! What e-mail reminders a person receives in a tenant. Every reminder belongs to one topic;
//! a person turns a topic off on their notifications page, through the API, or with the
//! unsubscribe link every reminder carries. Messages that are not reminders (invitations,
//! password resets, decisions about one's own application, concerns) are always sent.

use serde::{Deserialize, Serialize};

#[cfg(feature = "server")]
pub mod service;

/// The kinds of reminders, each with its own switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// A meeting protocol is overdue (mentors; coordinators after a longer delay).
    ProtocolOverdue,
    /// Tomorrow's meeting, training day or interview.
    Tomorrow,
    /// An application still incomplete a few days before the window closes.
    ApplicationIncomplete,
    /// A document about to expire.
    DocumentExpiring,
    /// A contract or a pair's term ending within 60 days.
    TermEnding,
    /// Committee votes waiting for the member.
    VotesPending,
    /// A periodic report is ready (tenant admins).
    Reports,
    /// A candidate passed a stage and the next one is theirs to open (coordinators).
    StageReady,
}

impl Topic {
    pub const ALL: [Topic; 8] = [
        Topic::ProtocolOverdue,
        Topic::Tomorrow,
        Topic::ApplicationIncomplete,
        Topic::DocumentExpiring,
        Topic::TermEnding,
        Topic::VotesPending,
        Topic::Reports,
        Topic::StageReady,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::ProtocolOverdue => "protocol_overdue",
            Topic::Tomorrow => "tomorrow",
            Topic::ApplicationIncomplete => "application_incomplete",
            Topic::DocumentExpiring => "document_expiring",
            Topic::TermEnding => "term_ending",
            Topic::VotesPending => "votes_pending",
            Topic::Reports => "reports",
            Topic::StageReady => "stage_ready",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The i18n key of the topic's label.
    pub fn label_key(self) -> String {
        format!("topic-{}", self.as_str().replace('_', "-"))
    }
}

/// One topic and whether the person receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TopicSetting {
    pub topic: Topic,
    pub enabled: bool,
}

/// A person's reminders in one tenant: every topic, on or off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct NotificationPreferences {
    pub topics: Vec<TopicSetting>,
}

impl NotificationPreferences {
    /// Every topic, on unless listed in `disabled`.
    pub fn from_disabled(disabled: &[Topic]) -> NotificationPreferences {
        NotificationPreferences {
            topics: Topic::ALL
                .into_iter()
                .map(|topic| TopicSetting {
                    topic,
                    enabled: !disabled.contains(&topic),
                })
                .collect(),
        }
    }

    pub fn enabled(&self, topic: Topic) -> bool {
        self.topics
            .iter()
            .find(|s| s.topic == topic)
            .is_none_or(|s| s.enabled)
    }
}

/// A change of preferences: the topics listed are set, the others stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PreferencesInput {
    pub topics: Vec<TopicSetting>,
}

impl PreferencesInput {
    /// The topics turned off after applying this change to `current`. A topic listed twice
    /// is refused: which of the two was meant cannot be known.
    pub fn apply(&self, current: &[Topic]) -> Result<Vec<Topic>, crate::Error> {
        let mut seen = Vec::new();
        for s in &self.topics {
            if seen.contains(&s.topic) {
                return Err(crate::Error::invalid("topics", "error-topic-twice"));
            }
            seen.push(s.topic);
        }
        Ok(Topic::ALL
            .into_iter()
            .filter(|t| match self.topics.iter().find(|s| s.topic == *t) {
                Some(s) => !s.enabled,
                None => current.contains(t),
            })
            .collect())
    }
}

/// What the unsubscribe page says once a topic is off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Unsubscribed {
    pub tenant_name: String,
    pub topic: Topic,
}

/// `disabled` as stored: comma-separated topic names (unknown names are dropped).
pub fn parse_disabled(stored: &str) -> Vec<Topic> {
    stored
        .split(',')
        .filter_map(|s| Topic::parse(s.trim()))
        .collect()
}

pub fn format_disabled(topics: &[Topic]) -> String {
    Topic::ALL
        .into_iter()
        .filter(|t| topics.contains(t))
        .map(Topic::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_sets_the_listed_topics_and_keeps_the_others() {
        let current = vec![Topic::Reports];
        let input = PreferencesInput {
            topics: vec![TopicSetting {
                topic: Topic::ProtocolOverdue,
                enabled: false,
            }],
        };
        let after = input.apply(&current).unwrap();
        assert_eq!(after, vec![Topic::ProtocolOverdue, Topic::Reports]);
        let back_on = PreferencesInput {
            topics: vec![TopicSetting {
                topic: Topic::Reports,
                enabled: true,
            }],
        };
        assert_eq!(back_on.apply(&after).unwrap(), vec![Topic::ProtocolOverdue]);
        let twice = PreferencesInput {
            topics: vec![back_on.topics[0].clone(), back_on.topics[0].clone()],
        };
        assert!(twice.apply(&after).is_err());
    }

    #[test]
    fn stored_topics_round_trip_and_unknown_names_are_dropped() {
        let topics = vec![Topic::VotesPending, Topic::Tomorrow];
        let stored = format_disabled(&topics);
        assert_eq!(stored, "tomorrow,votes_pending");
        assert_eq!(
            parse_disabled(&format!("{stored},gone")),
            vec![Topic::Tomorrow, Topic::VotesPending]
        );
        assert!(parse_disabled("").is_empty());
        let prefs = NotificationPreferences::from_disabled(&topics);
        assert!(!prefs.enabled(Topic::Tomorrow));
        assert!(prefs.enabled(Topic::Reports));
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.as_str()), Some(t));
        }
    }
}

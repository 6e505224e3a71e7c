//! What waits for each person (issue 19, principle 7): the start page counts the moves that are
//! the reader's, for the roles they hold, and each count links to the list it counts; a passed
//! stage tells whoever opens the next one, and a programme may open it at once.

use serde_json::{Value, json};
use ustaz_tests::{Api, DEMO_TENANT, TestApp};

use crate::selection::{
    advance, audit_count, candidate_path, documents_passed, ok, result, through_interview,
    without_school,
};
use crate::selection_pages::signed_in;

const T: &str = DEMO_TENANT;
const COORDINATOR: &str = "coordinator@almaty-mentors.demo";
const PSYCHOLOGIST: &str = "psychologist@almaty-mentors.demo";
const COMMITTEE: &str = "committee@almaty-mentors.demo";

/// The ids of the candidates the board lists as waiting for `awaits` from the reader.
async fn waiting(api: &Api, awaits: &str) -> Vec<String> {
    let rows = ok(
        api.get(&format!("/api/v1/t/{T}/candidates?awaits={awaits}"))
            .await,
        200,
    )
    .await;
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["awaits"], awaits, "{r}");
            r["id"].as_str().unwrap().to_string()
        })
        .collect()
}

/// The start page's count of `key` and the address it links to, if the page has it.
fn tile(html: &str, key: &str) -> Option<(usize, String)> {
    let at = html.find(&format!("data-waiting=\"{key}\""))?;
    let start = html[..at].rfind("<a ")?;
    let element = &html[start..start + html[start..].find("</a>")?];
    let href = element.split("href=\"").nth(1)?.split('"').next()?;
    let figure = element.split("class=\"figure\">").nth(1)?;
    let count = figure[..figure.find('<')?].trim().parse().ok()?;
    Some((count, href.replace("&amp;", "&")))
}

async fn start_page(app: &TestApp, email: &str) -> (ustaz_tests::Browser, String) {
    let (b, _) = signed_in(app, email).await;
    let html = b.get(&format!("/t/{T}")).await.text().await.unwrap();
    (b, html)
}

#[tokio::test]
async fn each_role_counts_what_waits_for_it_and_reaches_the_list_by_its_link() {
    let app = TestApp::sqlite().await;
    let coordinator = app.api_as(COORDINATOR).await;
    let psychologist = app.api_as(PSYCHOLOGIST).await;
    let committee = app.api_as(COMMITTEE).await;
    without_school(&app).await;
    // One whose documents passed: the next stage is the coordinator's to open.
    let opening = documents_passed(&app, &coordinator, "wait-open@example.kz").await;
    // One at the psychological test: the psychologist's result.
    let testing = documents_passed(&app, &coordinator, "wait-test@example.kz").await;
    ok(advance(&coordinator, &testing, "psych_test").await, 201).await;
    // One before the committee: the member's vote.
    let voting = through_interview(&app, &coordinator, &psychologist, "wait-vote@example.kz").await;
    ok(advance(&coordinator, &voting, "committee").await, 201).await;

    let mine = waiting(&coordinator, "opening").await;
    assert!(mine.contains(&opening), "{mine:?}");
    assert!(
        !mine.contains(&testing) && !mine.contains(&voting),
        "{mine:?}"
    );
    let mine = waiting(&psychologist, "result").await;
    assert!(mine.contains(&testing), "{mine:?}");
    assert!(
        !mine.contains(&opening) && !mine.contains(&voting),
        "{mine:?}"
    );
    assert_eq!(waiting(&committee, "vote").await, vec![voting.clone()]);
    // What is someone else's move is not the reader's.
    assert!(waiting(&psychologist, "opening").await.is_empty());
    assert!(waiting(&coordinator, "result").await.is_empty());
    assert!(
        waiting(&coordinator, "decision").await.is_empty(),
        "no quorum yet"
    );

    // Each start page counts what the lists hold and links to them.
    let (psy, html) = start_page(&app, PSYCHOLOGIST).await;
    let results = waiting(&psychologist, "result").await.len();
    assert_eq!(
        tile(&html, "awaits-result"),
        Some((results, format!("/t/{T}/candidates?awaits=result")))
    );
    assert_eq!(
        tile(&html, "awaits-match"),
        Some((0, format!("/t/{T}/children?proposed=1")))
    );
    for other in [
        "awaits-vote",
        "awaits-opening",
        "awaits-decision",
        "awaits-documents",
    ] {
        assert_eq!(tile(&html, other), None, "{other} is not a psychologist's");
    }
    let board = psy
        .get(&format!("/t/{T}/candidates?awaits=result"))
        .await
        .text()
        .await
        .unwrap();
    assert!(board.contains(&format!("data-candidate=\"{testing}\"")));
    assert!(!board.contains(&format!("data-candidate=\"{opening}\"")));
    assert!(
        board.contains("<option value=\"result\" selected"),
        "the filter shows what is chosen"
    );

    let (_, html) = start_page(&app, COMMITTEE).await;
    assert_eq!(
        tile(&html, "awaits-vote"),
        Some((1, format!("/t/{T}/candidates?awaits=vote")))
    );
    assert_eq!(tile(&html, "awaits-result"), None);

    let (_, html) = start_page(&app, COORDINATOR).await;
    let openings = waiting(&coordinator, "opening").await.len();
    assert_eq!(
        tile(&html, "awaits-opening"),
        Some((openings, format!("/t/{T}/candidates?awaits=opening")))
    );
    assert_eq!(tile(&html, "awaits-decision").map(|t| t.0), Some(0));
    assert_eq!(
        tile(&html, "awaits-documents").map(|t| t.1),
        Some(format!("/t/{T}/review"))
    );
    assert_eq!(tile(&html, "awaits-vote"), None);

    // The member votes (the demo's quorum is one): the vote no longer waits, the decision does.
    ok(
        committee
            .post(
                &format!("{}/votes", candidate_path(&voting)),
                json!({"vote": "approve"}),
            )
            .await,
        201,
    )
    .await;
    assert!(waiting(&committee, "vote").await.is_empty());
    assert_eq!(
        waiting(&coordinator, "decision").await,
        vec![voting.clone()]
    );
    let (_, html) = start_page(&app, COORDINATOR).await;
    assert_eq!(tile(&html, "awaits-decision").map(|t| t.0), Some(1));

    // A mentor has nothing of this; a trainer and another organisation's admin cannot ask.
    let (_, html) = start_page(&app, "mentor@almaty-mentors.demo").await;
    assert!(!html.contains("id=\"waiting-for-you\""));
    let trainer = app.api_as("trainer@almaty-mentors.demo").await;
    ok(
        trainer
            .get(&format!("/api/v1/t/{T}/candidates?awaits=vote"))
            .await,
        403,
    )
    .await;
    let stranger = app.api_as("admin@karaganda-partner.demo").await;
    let res = stranger
        .get(&format!("/api/v1/t/{T}/candidates?awaits=opening"))
        .await;
    assert!(
        [403, 404].contains(&res.status().as_u16()),
        "another tenant's admin: {}",
        res.status()
    );
    // A value that is not a move is the client's mistake.
    ok(
        coordinator
            .get(&format!("/api/v1/t/{T}/candidates?awaits=everything"))
            .await,
        422,
    )
    .await;
}

#[tokio::test]
async fn a_passed_stage_tells_the_coordinator_and_a_programme_may_open_the_next_itself() {
    let app = TestApp::sqlite().await;
    let coordinator = app.api_as(COORDINATOR).await;
    let psychologist = app.api_as(PSYCHOLOGIST).await;
    let first = documents_passed(&app, &coordinator, "told-a@example.kz").await;
    let second = documents_passed(&app, &coordinator, "told-b@example.kz").await;
    ok(advance(&coordinator, &second, "psych_test").await, 201).await;

    // The psychologist passes the test: the coordinator, whose move it now is, is told.
    let passed = json!({"decision": "passed", "score": 75});
    ok(
        result(&psychologist, &second, "psych_test", passed.clone()).await,
        200,
    )
    .await;
    let mail = app
        .wait_for_email(COORDINATOR, &format!("/t/{T}/candidates/{second}"))
        .await;
    assert!(
        mail.subject.contains("Кандидат прошёл этап"),
        "{}",
        mail.subject
    );
    assert!(
        mail.text.contains("ждёт, чтобы вы его открыли"),
        "{}",
        mail.text
    );
    assert!(waiting(&coordinator, "opening").await.contains(&second));
    // Whoever passes a stage is not told of their own act.
    assert!(
        !app.outbox()
            .iter()
            .any(|e| e.text.contains(&format!("/candidates/{first}"))),
        "the coordinator passed the first one's documents themselves"
    );

    // With the programme's setting, the next stage opens at once, and the coordinator hears so.
    app.execute("UPDATE programmes SET open_next_stage = TRUE")
        .await;
    let (admin, _) = signed_in(&app, "admin@almaty-mentors.demo").await;
    let edit = admin
        .get(&format!("/t/{T}/programmes/mentors-2027/edit"))
        .await
        .text()
        .await
        .unwrap();
    let setting = &edit[edit
        .find("name=\"open_next_stage\"")
        .expect("the setting is on the form")..];
    assert!(
        setting[..setting.find('>').unwrap()].contains("checked"),
        "the form shows it on"
    );
    let before = audit_count(&app, "stage.opened").await;
    ok(advance(&coordinator, &first, "psych_test").await, 201).await;
    let view: Value = ok(
        result(&psychologist, &first, "psych_test", passed).await,
        200,
    )
    .await;
    assert_eq!(view["candidate"]["stage"], "interview", "{view}");
    assert_eq!(view["candidate"]["stage_status"], "open", "{view}");
    assert_eq!(audit_count(&app, "stage.opened").await, before + 2);
    let mail = app
        .wait_for_email(COORDINATOR, &format!("/t/{T}/candidates/{first}"))
        .await;
    assert!(
        mail.text.contains("программа открыла следующий этап"),
        "{}",
        mail.text
    );
    assert!(waiting(&psychologist, "result").await.contains(&first));
    assert!(!waiting(&coordinator, "opening").await.contains(&first));
}

//! Accounts over the real wire: signup, login, resume, logout, password
//! change, and every refusal they can produce.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

#[tokio::test]
async fn signup_login_resume_logout() {
    let srv = server(&[]);
    let mut c = WireClient::connect(srv.addr).await.unwrap();
    let r = c.signup("alice", PASSWORD, &alice_key()).await.unwrap();
    assert_eq!(
        r,
        ServerMessage::SignupOk {
            username: "alice".into()
        }
    );
    // Signed up is not logged in.
    let r = c
        .request(json!({"type":"get_key","username":"alice"}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::NotAuthenticated);
    let ServerMessage::LoginOk {
        username,
        token,
        token_expires,
    } = c.login("alice", PASSWORD, &alice_key()).await.unwrap()
    else {
        panic!("login")
    };
    assert_eq!(username, "alice");
    assert!(token_expires > chat_proto::now_ms() + 29 * 24 * 3600 * 1000);
    assert_eq!(
        code(&c.login("alice", PASSWORD, &alice_key()).await.unwrap()),
        ErrorCode::AlreadyAuthenticated
    );
    assert_eq!(
        code(&c.signup("alice2", PASSWORD, &alice_key()).await.unwrap()),
        ErrorCode::AlreadyAuthenticated
    );

    // A second connection resumes with the token, without the password.
    let mut d = WireClient::connect(srv.addr).await.unwrap();
    match d.resume("alice", &token).await.unwrap() {
        ServerMessage::LoginOk {
            token: t,
            token_expires: e,
            ..
        } => assert_eq!((t, e), (token.clone(), token_expires)),
        other => panic!("resume: {other:?}"),
    }
    assert_eq!(
        code(&d.resume("alice", &token).await.unwrap()),
        ErrorCode::AlreadyAuthenticated
    );

    // Logout revokes the token: nobody can resume with it any more.
    assert_eq!(
        c.request(json!({"type":"logout"})).await.unwrap(),
        ServerMessage::LogoutOk {}
    );
    assert_eq!(
        code(&c.request(json!({"type":"logout"})).await.unwrap()),
        ErrorCode::NotAuthenticated
    );
    assert_eq!(
        c.request(json!({"type":"ping"})).await.unwrap(),
        ServerMessage::Pong {}
    );
    let mut e = WireClient::connect(srv.addr).await.unwrap();
    assert_eq!(
        code(&e.resume("alice", &token).await.unwrap()),
        ErrorCode::BadCredentials
    );
    // A token for another user, or garbage, is refused the same way.
    assert_eq!(
        code(&e.resume("bob", &token).await.unwrap()),
        ErrorCode::BadCredentials
    );
    assert_eq!(
        code(&e.resume("alice", "not-a-token").await.unwrap()),
        ErrorCode::BadCredentials
    );
}

#[tokio::test]
async fn signup_refusals() {
    let srv = server(&[]);
    let mut c = WireClient::connect(srv.addr).await.unwrap();
    c.signup("bob", PASSWORD, &bob_key()).await.unwrap();
    let cases: Vec<(&str, String, String, ErrorCode)> = vec![
        ("bob", PASSWORD.into(), bob_key(), ErrorCode::UsernameTaken),
        ("", PASSWORD.into(), bob_key(), ErrorCode::InvalidUsername),
        (
            "has space",
            PASSWORD.into(),
            bob_key(),
            ErrorCode::InvalidUsername,
        ),
        ("x", "short".into(), bob_key(), ErrorCode::InvalidPassword),
        (
            "carol",
            "a".repeat(72),
            bob_key(),
            ErrorCode::InvalidPassword,
        ),
        (
            "carol",
            "Password Password".into(),
            bob_key(),
            ErrorCode::InvalidPassword,
        ),
        (
            "carol",
            PASSWORD.into(),
            "not a key".into(),
            ErrorCode::BadKey,
        ),
        (
            "carol",
            PASSWORD.into(),
            test_support::fixtures::weak_public_pem(),
            ErrorCode::BadKey,
        ),
    ];
    for (user, pass, key, want) in cases {
        let r = c.signup(user, &pass, &key).await.unwrap();
        assert_eq!(code(&r), want, "signup {user:?}");
    }
    // 33-character names are refused, 32 accepted.
    assert_eq!(
        code(
            &c.signup(&"n".repeat(33), PASSWORD, &bob_key())
                .await
                .unwrap()
        ),
        ErrorCode::InvalidUsername
    );
    assert!(matches!(
        c.signup(&"n".repeat(32), PASSWORD, &bob_key())
            .await
            .unwrap(),
        ServerMessage::SignupOk { .. }
    ));
    // Usernames are case-sensitive.
    assert!(matches!(
        c.signup("Bob", PASSWORD, &bob_key()).await.unwrap(),
        ServerMessage::SignupOk { .. }
    ));
}

#[tokio::test]
async fn login_refusals_and_replayed_credentials() {
    let srv = server(&[]);
    let mut c = WireClient::connect(srv.addr).await.unwrap();
    c.signup("alice", PASSWORD, &alice_key()).await.unwrap();
    assert_eq!(
        code(
            &c.login("alice", "wrong password, long enough", &alice_key())
                .await
                .unwrap()
        ),
        ErrorCode::BadCredentials
    );
    assert_eq!(
        code(&c.login("nobody", PASSWORD, &alice_key()).await.unwrap()),
        ErrorCode::BadCredentials
    );
    assert_eq!(
        code(&c.login("alice", PASSWORD, "junk").await.unwrap()),
        ErrorCode::BadKey
    );

    // Credentials sealed for this connection's nonce do not open on another.
    let creds = c
        .seal(&json!({"username":"alice","password":PASSWORD}))
        .unwrap();
    let mut other = WireClient::connect(srv.addr).await.unwrap();
    let r = other
        .request(json!({"type":"login","credentials":creds,"public_key":alice_key()}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::BadCredentials);
    // The same blob still works where it was made.
    let r = c
        .request(json!({"type":"login","credentials":creds,"public_key":alice_key()}))
        .await
        .unwrap();
    assert!(matches!(r, ServerMessage::LoginOk { .. }), "{r:?}");

    // Sealed JSON of the wrong shape, and a sealed blob that is not base64.
    let mut d = WireClient::connect(srv.addr).await.unwrap();
    let creds = d.seal(&json!({"user":"alice"})).unwrap();
    let r = d
        .request(json!({"type":"login","credentials":creds,"public_key":alice_key()}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::BadRequest);
    let r = d
        .request(json!({"type":"login","credentials":{"ek":"!","nonce":"!","ct":"!"},"public_key":alice_key()}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::BadCredentials);
    let r = d
        .request(json!({"type":"login","credentials":"nope","public_key":alice_key()}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::BadRequest);
}

#[tokio::test]
async fn change_password_revokes_other_sessions() {
    let srv = server(&[]);
    let (mut a, token_a) = WireClient::logged_in(srv.addr, "alice", &alice_key())
        .await
        .unwrap();
    let (mut b, token_b) = WireClient::logged_in(srv.addr, "alice", &alice_key())
        .await
        .unwrap();
    let new = "an entirely new passphrase";
    let wrong = a
        .seal(&json!({"username":"alice","password":"not the password!!","new_password":new}))
        .unwrap();
    let r = a
        .request(json!({"type":"change_password","credentials":wrong}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::BadCredentials);
    let weak = a
        .seal(&json!({"username":"alice","password":PASSWORD,"new_password":"short"}))
        .unwrap();
    let r = a
        .request(json!({"type":"change_password","credentials":weak}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::InvalidPassword);
    let other_user = a
        .seal(&json!({"username":"bob","password":PASSWORD,"new_password":new}))
        .unwrap();
    let r = a
        .request(json!({"type":"change_password","credentials":other_user}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::BadCredentials);

    let ok = a
        .seal(&json!({"username":"alice","password":PASSWORD,"new_password":new}))
        .unwrap();
    assert_eq!(
        a.request(json!({"type":"change_password","credentials":ok}))
            .await
            .unwrap(),
        ServerMessage::PasswordChanged {}
    );
    // The other session is told and closed; its token no longer resumes.
    let last = b.expect_closed().await.unwrap();
    assert!(
        last.iter().any(|m| matches!(
            m,
            ServerMessage::Error {
                code: ErrorCode::NotAuthenticated,
                ..
            }
        )),
        "{last:?}"
    );
    let mut c = WireClient::connect(srv.addr).await.unwrap();
    assert_eq!(
        code(&c.resume("alice", &token_b).await.unwrap()),
        ErrorCode::BadCredentials
    );
    // This session's own token survives; the old password does not.
    assert!(matches!(
        c.resume("alice", &token_a).await.unwrap(),
        ServerMessage::LoginOk { .. }
    ));
    let mut d = WireClient::connect(srv.addr).await.unwrap();
    assert_eq!(
        code(&d.login("alice", PASSWORD, &alice_key()).await.unwrap()),
        ErrorCode::BadCredentials
    );
    assert!(matches!(
        d.login("alice", new, &alice_key()).await.unwrap(),
        ServerMessage::LoginOk { .. }
    ));
}

#[tokio::test]
async fn requests_before_login_are_refused() {
    let srv = server(&[]);
    let mut c = WireClient::connect(srv.addr).await.unwrap();
    for req in [
        json!({"type":"list_users"}),
        json!({"type":"get_key","username":"a"}),
        json!({"type":"watch","users":["a"]}),
        json!({"type":"unwatch","users":["a"]}),
        json!({"type":"send","to":"a","envelope":{}}),
        json!({"type":"ack","msg_ids":[]}),
        json!({"type":"logout"}),
        json!({"type":"change_password","credentials":{"ek":"","nonce":"","ct":""}}),
    ] {
        let r = c.request(req.clone()).await.unwrap();
        assert_eq!(code(&r), ErrorCode::NotAuthenticated, "{req}");
    }
}

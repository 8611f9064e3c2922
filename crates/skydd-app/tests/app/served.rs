//! Which register an instance runs with: the one it served last, remembered in the data
//! directory; a new version of it is taken, another controller's register or an older version
//! only with `replace`.

use skydd_app::register::{self, ChoiceError, RegisterChoice, Remembered, SERVED_REGISTER_FILE};

use super::*;

const OTHER: &str = include_str!("../../../../examples/registers/syspeace.yaml");

fn settings(data: &tempfile::TempDir) -> DataSettings {
    DataSettings {
        data_dir: data.path().join("data"),
        database_url: None,
        busy_timeout: skydd_storage::DEFAULT_BUSY_TIMEOUT,
        durability: skydd_storage::Durability::default(),
    }
}

fn loaded(source: &str, path: &std::path::Path) -> LoadedRegister {
    std::fs::write(path, source).unwrap();
    LoadedRegister::new(skydd_register::check(source).register.unwrap(), "file").with_path(path)
}

async fn serve(
    data: &tempfile::TempDir,
    choice: RegisterChoice,
) -> Result<App, instance::InstanceError> {
    let app = App::open_served(
        &settings(data),
        Create::IfMissing,
        choice,
        Arc::new(FixedClock(at("2026-03-01T09:00:00Z"))),
    )
    .await?;
    app.prepare_to_serve().await.unwrap();
    app.close().await.unwrap();
    Ok(app)
}

fn given(register: LoadedRegister, replace: bool) -> RegisterChoice {
    RegisterChoice::Given { register, replace }
}

#[tokio::test]
async fn a_new_instance_needs_a_register_and_remembers_the_one_it_served() {
    let data = tempfile::tempdir().unwrap();
    let error = serve(&data, RegisterChoice::Served { new_instance: None })
        .await
        .err()
        .unwrap();
    assert!(
        matches!(
            error,
            instance::InstanceError::Register(ChoiceError::NeverServed)
        ),
        "{error}"
    );

    let file = data.path().join("register.yaml");
    let app = serve(&data, given(loaded(REGISTER, &file), false))
        .await
        .unwrap();
    let remembered = Remembered::read(&settings(&data).data_dir)
        .unwrap()
        .unwrap();
    assert_eq!(remembered.digest, app.register.digest);
    assert_eq!(remembered.path.as_deref(), Some(file.as_path()));

    // Served again from its file, not from the fallback.
    let app = serve(
        &data,
        RegisterChoice::Served {
            new_instance: Some(loaded(OTHER, &data.path().join("x.yaml"))),
        },
    )
    .await
    .unwrap();
    assert_eq!(app.register.path.as_deref(), Some(file.as_path()));
    assert_eq!(app.register.digest, register().digest);
}

#[tokio::test]
async fn the_same_company_renamed_is_an_update_and_another_company_needs_replace() {
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("register.yaml");
    serve(&data, given(loaded(REGISTER, &file), false))
        .await
        .unwrap();

    // Renamed, same organisation number: the same controller, a new version.
    let renamed = REGISTER.replacen("name: GleSYS AB", "name: GleSYS Cloud AB", 1);
    assert_ne!(renamed, REGISTER);
    let app = serve(&data, given(loaded(&renamed, &file), false))
        .await
        .unwrap();
    assert_ne!(app.register.digest, register().digest);

    let other = data.path().join("other.yaml");
    let error = serve(&data, given(loaded(OTHER, &other), false))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(
            &error,
            instance::InstanceError::Register(ChoiceError::OtherController { .. })
        ),
        "{error}"
    );
    // The first version again: older, refused.
    let error = serve(&data, given(loaded(REGISTER, &file), false))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(
            &error,
            instance::InstanceError::Register(ChoiceError::OlderVersion { .. })
        ),
        "{error}"
    );
    let app = serve(&data, given(loaded(OTHER, &other), true))
        .await
        .unwrap();
    assert_eq!(
        Remembered::read(&settings(&data).data_dir)
            .unwrap()
            .unwrap()
            .digest,
        app.register.digest
    );
}

#[tokio::test]
async fn a_damaged_memory_is_an_error_that_says_what_to_do() {
    let data = tempfile::tempdir().unwrap();
    serve(
        &data,
        given(loaded(REGISTER, &data.path().join("r.yaml")), false),
    )
    .await
    .unwrap();
    let memory = settings(&data).data_dir.join(SERVED_REGISTER_FILE);
    std::fs::write(&memory, "{\"digest\": 12}").unwrap();
    let error = register::Remembered::read(&settings(&data).data_dir)
        .err()
        .unwrap();
    assert!(error.to_string().contains("delete it"), "{error}");

    // Deleted: the latest version in the database is served.
    std::fs::remove_file(&memory).unwrap();
    let app = serve(&data, RegisterChoice::Served { new_instance: None })
        .await
        .unwrap();
    assert_eq!(app.register.digest, register().digest);
    assert!(app.register.path.is_none());
}

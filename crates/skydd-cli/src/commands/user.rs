//! `skydd user create|list|disable|enable|reset-totp|set-password|training`: staff accounts of
//! the console (issue 17) from the command line: the first account, recovery when someone is
//! locked out of their second factor, and the privacy training of those given personal data
//! (P000-63). Works while a server runs on the same data.

use std::io::Read as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use skydd_app::staff::{NewAccount, Staff, StaffError};
use skydd_app::{Clock as _, SystemClock};
use skydd_staff::account::{AccountId, AccountView, StaffEmail};
use skydd_staff::permission::StaffRole;
use zeroize::Zeroizing;

use crate::commands::cli_actor;
use crate::settings::DataArgs;

/// `skydd user ...`
#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create a staff account. Prints its id on stdout, and, unless `--password-stdin` gave
    /// one, a generated password on the next line, shown this once. The first sign-in in the
    /// console enrols a TOTP second factor.
    Create(CreateArgs),
    /// List staff accounts: id, e-mail, role, state, TOTP enrolled, last sign-in.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Disable an account (by id or e-mail) and end its sessions.
    Disable(AccountArgs),
    /// Enable a disabled account (by id or e-mail).
    Enable(AccountArgs),
    /// Remove an account's TOTP and recovery codes and end its sessions: its next sign-in
    /// enrols a new second factor (for a lost phone).
    ResetTotp(AccountArgs),
    /// Set an account's password and end its sessions. Reads it with `--password-stdin`,
    /// otherwise generates one and prints it on stdout, shown this once.
    SetPassword(PasswordArgs),
    /// Record that a person completed privacy training (P000-63). Granting a role that reads
    /// personal data (dpo, support) to someone without one is warned about and audited so.
    Training(TrainingArgs),
}

/// Arguments of `user training`.
#[derive(Debug, Args)]
pub(crate) struct TrainingArgs {
    /// The person: an account id, or the address they sign in (or will sign in) with.
    person: String,
    /// The day the training was completed (YYYY-MM-DD).
    #[arg(long)]
    completed: jiff::civil::Date,
    /// The course, e.g. "GDPR basics 2026".
    #[arg(long)]
    course: String,
    #[command(flatten)]
    data: DataArgs,
}

/// Arguments of `user create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// The address the staff member signs in with.
    #[arg(long)]
    email: String,
    /// What the account may do.
    #[arg(long, value_enum)]
    role: RoleArg,
    /// Read the password from standard input (one line) instead of generating one.
    #[arg(long)]
    password_stdin: bool,
    #[command(flatten)]
    data: DataArgs,
}

/// An account named on the command line.
#[derive(Debug, Args)]
pub(crate) struct AccountArgs {
    /// The account: its id (see `skydd user list`) or its e-mail address.
    account: String,
    #[command(flatten)]
    data: DataArgs,
}

/// Arguments of `user set-password`.
#[derive(Debug, Args)]
pub(crate) struct PasswordArgs {
    /// The account: its id (see `skydd user list`) or its e-mail address.
    account: String,
    /// Read the password from standard input (one line) instead of generating one.
    #[arg(long)]
    password_stdin: bool,
    #[command(flatten)]
    data: DataArgs,
}

/// A staff role, as typed on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RoleArg {
    /// Accounts, tokens and settings; no personal data.
    Admin,
    /// The privacy officer: requests, incidents, subjects, register, audit.
    Dpo,
    /// Works requests; a subject's data only in requests assigned to them.
    Support,
    /// Register, Art. 30 record, audit trail, metadata; never decrypted personal data.
    Auditor,
}

impl From<RoleArg> for StaffRole {
    fn from(role: RoleArg) -> StaffRole {
        match role {
            RoleArg::Admin => StaffRole::Admin,
            RoleArg::Dpo => StaffRole::Dpo,
            RoleArg::Support => StaffRole::Support,
            RoleArg::Auditor => StaffRole::Auditor,
        }
    }
}

/// Run a `skydd user` command on an existing instance.
pub(crate) async fn run(command: UserCommand) -> anyhow::Result<ExitCode> {
    let data = match &command {
        UserCommand::Create(args) => &args.data,
        UserCommand::List { data } => data,
        UserCommand::Disable(args) | UserCommand::Enable(args) | UserCommand::ResetTotp(args) => {
            &args.data
        }
        UserCommand::SetPassword(args) => &args.data,
        UserCommand::Training(args) => &args.data,
    };
    let instance = super::open_existing(data).await?;
    let staff = instance.staff();
    let outcome = execute(&staff, command).await;
    instance
        .storage
        .close()
        .await
        .context("cannot close the database")?;
    outcome
}

async fn execute(staff: &Staff, command: UserCommand) -> anyhow::Result<ExitCode> {
    // Changes are audited with who made them and the SSH client's address, as token changes.
    let actor = cli_actor();
    let now = SystemClock.now();
    match command {
        UserCommand::Create(args) => {
            let email = StaffEmail::parse(&args.email)?;
            let (password, generated) = password(args.password_stdin)?;
            let role = StaffRole::from(args.role);
            let untrained = staff.grant_lacks_training(&email, role).await?;
            let id = staff
                .create_account(
                    NewAccount {
                        email,
                        role,
                        password,
                    },
                    &actor,
                    now,
                )
                .await
                .context("cannot create the account")?;
            println!("{id}");
            print_generated(generated.as_ref());
            eprintln!(
                "created account {id} ({role}); its first sign-in in the console enrols a TOTP second factor"
            );
            if untrained {
                eprintln!(
                    "warning: the {role} role reads personal data and no privacy training is recorded for this person; record it with `skydd user training {id} --completed YYYY-MM-DD --course NAME`"
                );
            }
        }
        UserCommand::List { .. } => {
            let accounts = staff
                .list_accounts()
                .await
                .context("cannot list accounts")?;
            let mut trained = Vec::with_capacity(accounts.len());
            for account in &accounts {
                trained.push(staff.latest_training(&account.email).await?);
            }
            print_accounts(&accounts, &trained);
        }
        UserCommand::Disable(args) => {
            let id = resolve(staff, &args.account).await?;
            staff.disable_account(&id, &actor, now).await?;
            eprintln!("disabled account {id}; its sessions have ended");
        }
        UserCommand::Enable(args) => {
            let id = resolve(staff, &args.account).await?;
            staff.enable_account(&id, &actor, now).await?;
            eprintln!("enabled account {id}");
        }
        UserCommand::ResetTotp(args) => {
            let id = resolve(staff, &args.account).await?;
            staff.reset_totp(&id, &actor, now).await?;
            eprintln!(
                "removed the second factor of account {id} and ended its sessions; its next sign-in enrols a new one"
            );
        }
        UserCommand::SetPassword(args) => {
            let id = resolve(staff, &args.account).await?;
            let (password, generated) = password(args.password_stdin)?;
            staff
                .set_password(&id, &password, None, &actor, now)
                .await?;
            print_generated(generated.as_ref());
            eprintln!("set the password of account {id}; its sessions have ended");
        }
        UserCommand::Training(args) => {
            let email = match AccountId::parse(&args.person) {
                Ok(id) => {
                    staff
                        .account(&id)
                        .await?
                        .ok_or(StaffError::NoSuchAccount)?
                        .email
                }
                Err(_) => StaffEmail::parse(&args.person).map_err(|_| {
                    anyhow::anyhow!(
                        "give an account id (32 hex digits, see `skydd user list`) or an e-mail address"
                    )
                })?,
            };
            staff
                .record_training(&email, args.completed, &args.course, &actor, now)
                .await?;
            eprintln!("recorded privacy training completed on {}", args.completed);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The password from standard input, or a generated one (returned twice: to use and to print).
fn password(from_stdin: bool) -> anyhow::Result<(Zeroizing<String>, Option<Zeroizing<String>>)> {
    if from_stdin {
        let mut read = Zeroizing::new(String::new());
        std::io::stdin()
            .read_to_string(&mut read)
            .context("cannot read the password from standard input")?;
        let line = read.strip_suffix('\n').unwrap_or(&read);
        let line = line.strip_suffix('\r').unwrap_or(line);
        Ok((Zeroizing::new(line.to_owned()), None))
    } else {
        let generated = skydd_crypto::password::generate()?;
        Ok((generated.clone(), Some(generated)))
    }
}

fn print_generated(generated: Option<&Zeroizing<String>>) {
    if let Some(password) = generated {
        println!("{}", password.as_str());
        eprintln!("the password above is shown this once; give it to the staff member safely");
    }
}

/// The account `given` names: an id, or an e-mail address. Errors never repeat `given`.
async fn resolve(staff: &Staff, given: &str) -> anyhow::Result<AccountId> {
    let found = match AccountId::parse(given) {
        Ok(id) => staff.account(&id).await?,
        Err(_) => {
            let email = StaffEmail::parse(given).map_err(|_| {
                anyhow::anyhow!(
                    "give an account id (32 hex digits, see `skydd user list`) or an e-mail address"
                )
            })?;
            staff.account_by_email(&email).await?
        }
    };
    Ok(found.ok_or(StaffError::NoSuchAccount)?.id)
}

/// The accounts, each with the day of its latest privacy training (`trained`, in the same
/// order): `none` for a role that reads personal data with none recorded.
fn print_accounts(accounts: &[AccountView], trained: &[Option<jiff::civil::Date>]) {
    println!(
        "{:<32}  {:<32}  {:<7}  {:<8}  {:<4}  {:<10}  LAST SIGN-IN",
        "ID", "E-MAIL", "ROLE", "STATE", "TOTP", "TRAINING"
    );
    for (account, trained) in accounts.iter().zip(trained) {
        let last = account
            .last_sign_in_at
            .map(|at| at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_else(|| "-".to_owned());
        let training = match trained {
            Some(day) => day.to_string(),
            None if account.role.reads_personal_data() => "none".to_owned(),
            None => "-".to_owned(),
        };
        println!(
            "{:<32}  {:<32}  {:<7}  {:<8}  {:<4}  {training:<10}  {last}",
            account.id.as_str(),
            account.email.expose(),
            account.role.as_str(),
            account.state.as_str(),
            if account.totp_enrolled { "yes" } else { "no" },
        );
    }
}

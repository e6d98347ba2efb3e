"""Settings: environment variables beat the optional issuer.toml, which beats the defaults;
ISSUER_HOME moves keys and database; a wrong value is refused with the variable's name."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from issuer.errors import InvalidInput
from issuer.i18n import environment_locale
from issuer.issuance.catalogue import default_catalogue_dir
from issuer.issuance.keys import generate_key
from issuer.issuance.service import IssuerService
from issuer.settings import DEFAULT_BASE_URL, DEFAULT_TEMPLATES_DIR, Settings, templates_dir


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No ISSUER_* variable from the developer's shell; ISSUER_HOME is a fresh folder."""
    for variable in list(os.environ):
        if variable.startswith("ISSUER_") or variable == "DATABASE_URL":
            monkeypatch.delenv(variable)
    monkeypatch.setenv("ISSUER_HOME", str(tmp_path))
    return tmp_path


def write_settings_file(home: Path, text: str) -> Path:
    path = home / "issuer.toml"
    path.write_text(text, "utf-8")
    return path


def test_defaults_without_environment_or_file(clean_environment: Path) -> None:
    settings = Settings.load()
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.did_method == "web"
    assert settings.database_url is None
    assert settings.profile_name == "Ville de Roubaix"
    assert settings.trusted_issuer_labels == {}


def test_settings_file_beats_defaults(clean_environment: Path) -> None:
    write_settings_file(clean_environment, 'base_url = "https://badges.ville-roubaix.fr"\n'
                                           'profile_phone = "+33 3 20 66 46 00"\n')
    settings = Settings.load()
    assert settings.base_url == "https://badges.ville-roubaix.fr"
    assert settings.profile_phone == "+33 3 20 66 46 00"


def test_environment_beats_settings_file(clean_environment: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    write_settings_file(clean_environment, 'base_url = "https://from-file.example.org"\n'
                                           'did_method = "key"\n')
    monkeypatch.setenv("ISSUER_BASE_URL", "https://from-env.example.org")
    settings = Settings.load()
    assert settings.base_url == "https://from-env.example.org"
    assert settings.did_method == "key"  # not set in the environment: the file still counts


def test_command_line_option_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISSUER_BASE_URL", "https://from-env.example.org")
    assert Settings.load(base_url="https://from-option.example.org").base_url == \
        "https://from-option.example.org"


def test_explicit_settings_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text('profile_name = "Ville de Roubaix — test"\n', "utf-8")
    monkeypatch.setenv("ISSUER_SETTINGS_FILE", str(path))
    assert Settings.load().profile_name == "Ville de Roubaix — test"


def test_missing_explicit_settings_file_is_an_error(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISSUER_SETTINGS_FILE", str(tmp_path / "absent.toml"))
    with pytest.raises(InvalidInput) as refused:
        Settings.load()
    assert refused.value.code == "settings.missing_file"


def test_unreadable_settings_file_is_an_error(clean_environment: Path) -> None:
    write_settings_file(clean_environment, "base_url = https://no-quotes.example.org\n")
    with pytest.raises(InvalidInput) as refused:
        Settings.load()
    assert refused.value.code == "settings.bad_file"
    assert "issuer.toml" in refused.value.message_fr


def test_trailing_slash_of_base_url_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISSUER_BASE_URL", " https://badges.example.org/ ")
    assert Settings.load().base_url == "https://badges.example.org"


@pytest.mark.parametrize("bad_url", ["ftp://badges.example.org", "badges.example.org", "https://",
                                     "https://badges.example.org/a b",
                                     "https://badges.example.org/?x=1"])
def test_bad_base_url_is_refused_naming_the_variable(bad_url: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISSUER_BASE_URL", bad_url)
    with pytest.raises(InvalidInput) as refused:
        Settings.load()
    assert refused.value.code == "settings.invalid"
    assert "ISSUER_BASE_URL" in refused.value.message_fr
    assert "https://" in refused.value.message_fr and "https://" in refused.value.message_en


def test_bad_base_url_in_the_settings_file_is_refused_too(clean_environment: Path) -> None:
    write_settings_file(clean_environment, 'base_url = "www.ville-roubaix.fr"\n')
    with pytest.raises(InvalidInput) as refused:
        Settings.load()
    assert refused.value.code == "settings.invalid"


def test_unknown_did_method_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISSUER_DID_METHOD", "jwk")
    with pytest.raises(InvalidInput) as refused:
        Settings.load()
    assert "ISSUER_DID_METHOD" in refused.value.message_en


# -- database -------------------------------------------------------------------------------------
def test_database_defaults_to_sqlite_under_issuer_home(clean_environment: Path) -> None:
    settings = Settings.load()
    assert settings.sqlalchemy_url == f"sqlite:///{(clean_environment / 'var' / 'issuer.sqlite3').resolve()}"


def test_database_url_is_read_from_the_usual_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg://issuer:secret@db.internal/badges"
    monkeypatch.setenv("DATABASE_URL", url)
    settings = Settings.load()
    assert settings.database_url == url
    assert settings.sqlalchemy_url == url


def test_issuer_database_url_works_as_well(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISSUER_DATABASE_URL", "sqlite:////srv/badges/issuer.sqlite3")
    assert Settings.load().sqlalchemy_url == "sqlite:////srv/badges/issuer.sqlite3"


def test_database_url_from_environment_beats_the_file(clean_environment: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    write_settings_file(clean_environment, 'database_url = "sqlite:////from/file.sqlite3"\n')
    monkeypatch.setenv("DATABASE_URL", "sqlite:////from/env.sqlite3")
    assert Settings.load().sqlalchemy_url == "sqlite:////from/env.sqlite3"


# -- ISSUER_HOME --------------------------------------------------------------------------------------
def test_issuer_home_moves_keys_and_database(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "elsewhere" / "issuer-home"
    monkeypatch.setenv("ISSUER_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    settings = Settings.load()
    assert settings.keys_dir == home / "keys"
    assert settings.var_dir == home / "var"

    IssuerService(settings).init()

    assert (home / "keys" / "keys.json").is_file()
    assert len(list((home / "keys").glob("*.pem"))) == 2
    assert (home / "var" / "issuer.sqlite3").is_file()
    assert not (tmp_path / "keys").exists() and not (tmp_path / "var").exists()


def test_settings_file_is_looked_for_in_issuer_home(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "issuer.toml").write_text('base_url = "https://home.example.org"\n', "utf-8")
    (tmp_path / "issuer.toml").write_text('base_url = "https://cwd.example.org"\n', "utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ISSUER_HOME", str(home))
    assert Settings.load().base_url == "https://home.example.org"


# -- secrets and other issuers ---------------------------------------------------------------------------
def test_key_passphrase_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISSUER_KEY_PASSPHRASE", "phrase secrète")
    assert Settings.load().passphrase_bytes == "phrase secrète".encode()


def test_no_passphrase_means_unencrypted_keys() -> None:
    assert Settings.load().passphrase_bytes is None


def test_trusted_issuers_are_did_equals_label_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "ISSUER_TRUSTED_ISSUERS",
        " did:web:badges.lille.fr = Ville de Lille ;"
        "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH;;"
        "did:web:mednum.example.org=La MedNum ")
    assert Settings.load().trusted_issuer_labels == {
        "did:web:badges.lille.fr": "Ville de Lille",
        # no label: the identifier stands for itself
        "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH":
            "did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdvktH",
        "did:web:mednum.example.org": "La MedNum",
    }


def test_empty_trusted_issuers_means_none() -> None:
    assert Settings.load(trusted_issuers=" ; ").trusted_issuer_labels == {}


def test_issuer_profile_is_the_city_with_its_address() -> None:
    profile = Settings.load().issuer_profile("did:web:badges.example.org").to_json()
    assert profile["id"] == "did:web:badges.example.org"
    assert profile["name"] == "Ville de Roubaix"
    assert profile["address"]["postalCode"] == "59066"
    assert profile["address"]["addressCountryCode"] == "FR"


# --- the environment is read in one place --------------------------------------------------------

def test_no_module_but_the_settings_reads_the_environment() -> None:
    package = Path(__file__).resolve().parent.parent / "issuer"
    readers = sorted(str(path.relative_to(package)) for path in package.rglob("*.py")
                     if re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text("utf-8"))
                     and path.name != "settings.py")
    # issuance/keys.py: the key store's default environment, for a KeyStore built without Settings
    # (the service passes Settings.private_key_environment).
    assert readers == ["issuance/keys.py"]


def test_command_line_language_skips_the_c_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert environment_locale() == "en"
    monkeypatch.setenv("ISSUER_LANG", "fr")
    assert environment_locale() == "fr"
    assert Settings().lang == "fr"


def test_folders_come_from_their_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert templates_dir() == DEFAULT_TEMPLATES_DIR
    monkeypatch.setenv("ISSUER_TEMPLATES_DIR", str(tmp_path / "pages"))
    monkeypatch.setenv("ISSUER_CATALOGUE_DIR", str(tmp_path / "badges"))
    assert templates_dir() == tmp_path / "pages"
    assert default_catalogue_dir() == tmp_path / "badges"
    assert Settings().catalogue_dir == tmp_path / "badges"


def test_private_keys_given_in_the_settings_file_reach_the_key_store(
        clean_environment: Path) -> None:
    key = generate_key("Ed25519")
    assert key.private_key is not None
    pem = key.private_key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    write_settings_file(clean_environment, 'ed25519_private_key = """' + pem + '"""\n')
    service = IssuerService(Settings.load())
    assert service.keystore.active_key("Ed25519").kid == key.kid


def test_admin_password_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISSUER_ADMIN_PASSWORD", "un mot de passe assez long")
    assert Settings().admin_password == "un mot de passe assez long"

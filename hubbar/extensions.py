"""Flask extensions, created here and bound to the app in create_app."""

from apscheduler.schedulers.background import BackgroundScheduler
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from hubbar.db import Model

db = SQLAlchemy(model_class=Model)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
scheduler = BackgroundScheduler(timezone="UTC")

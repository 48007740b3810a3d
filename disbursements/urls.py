from django.urls import path

from . import views, views_accounts, views_batches, views_payments

app_name = "disbursements"

urlpatterns = [
    path("", views.workspace, name="workspace"),
    path("applications/<int:pk>/approve/", views.approve, name="approve"),
    path("applications/<int:pk>/grant/", views.grant_detail, name="grant_detail"),
    path("applications/<int:pk>/grant/cancel/", views.grant_cancel, name="grant_cancel"),
    path("applications/<int:pk>/grant/balance-return/", views.balance_return, name="balance_return"),
    path("applications/<int:pk>/award-letter.pdf", views.award_letter, name="award_letter"),
    path("tranches/<int:pk>/schedule/", views.schedule, name="schedule"),
    path("tranches/<int:pk>/hold/", views.tranche_hold, name="tranche_hold"),
    path("payments/", views_payments.payments, name="payments"),
    path("payments/approve-many/", views_payments.payments_approve_many, name="payments_approve_many"),
    path("payments/<int:pk>/review/", views_payments.payment_review, name="payment_review"),
    path("payments/<int:pk>/review/reveal-account/", views_payments.payment_reveal_account, name="payment_reveal_account"),
    path("payments/<int:pk>/review/account/", views_payments.payment_choose_account, name="payment_choose_account"),
    path("payments/<int:pk>/approve/", views.payment_approve, name="payment_approve"),
    path("payments/<int:pk>/record/", views.payment_record, name="payment_record"),
    path("payments/<int:pk>/<slug:action>/", views.payment_change, name="payment_change"),
    path("accounts/", views_accounts.accounts, name="accounts"),
    path("accounts/<int:pk>/", views_accounts.account_detail, name="account_detail"),
    path("accounts/<int:pk>/verify/", views_accounts.account_verify, name="account_verify"),
    path("organisations/<int:pk>/accounts/", views_accounts.organization_accounts, name="organization_accounts"),
    path("batches/", views_batches.batches, name="batches"),
    path("batches/create/", views_batches.batch_create, name="batch_create"),
    path("batches/<int:pk>/", views_batches.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/export/", views_batches.batch_export, name="batch_export"),
    path("batches/<int:pk>/<slug:action>/", views_batches.batch_change, name="batch_change"),
    path("bank-settings/", views_batches.bank_settings, name="bank_settings"),
    path("bank-settings/mappings/<int:pk>/", views_batches.mapping_edit, name="mapping_edit"),
    path("reconcile/", views.reconcile, name="reconcile"),
    path("reconcile/lines/<int:pk>/resolve/", views.statement_line_resolve, name="statement_line_resolve"),
    path("reconcile/lines/<int:pk>/link/", views.statement_line_link, name="statement_line_link"),
    path("funds/", views.funds, name="funds"),
    path("funds/<slug:slug>/", views.fund_dashboard, name="fund_dashboard"),
]

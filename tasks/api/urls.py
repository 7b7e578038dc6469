from django.urls import path

from tasks.api import views

urlpatterns = [
    path("admin/tasks/", views.JobListView.as_view(), name="admin-tasks-list"),
    path("admin/tasks/<uuid:job_id>/", views.JobDetailView.as_view(), name="admin-tasks-detail"),
    path(
        "admin/tasks/<uuid:job_id>/cancel/",
        views.JobCancelView.as_view(),
        name="admin-tasks-cancel",
    ),
]

from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from console.site import site

site.register(User, UserAdmin)
site.register(Group, GroupAdmin)

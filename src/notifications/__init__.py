"""Notifications: the in-app feed, push devices and delivery through FCM, admin broadcasts."""

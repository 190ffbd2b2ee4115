from django import forms

from series.languages import LANGUAGE_CHOICES
from series.models import Episode, Mode


class JobForm(forms.Form):
    episode = forms.ModelChoiceField(queryset=Episode.objects.select_related("season__series"))
    mode = forms.ChoiceField(choices=Mode.choices, initial=Mode.MEDIUM)
    two_pass = forms.ChoiceField(choices=[("", "mode default"), ("on", "on"), ("off", "off")], required=False)
    target_language = forms.ChoiceField(choices=[("", "series default")] + LANGUAGE_CHOICES, required=False)

from django import forms

from dubsite.schemas import NUMBER_MAX

from .languages import LANGUAGE_CHOICES
from .models import Mode


class SeriesForm(forms.Form):
    slug = forms.SlugField(max_length=80)
    title = forms.CharField(max_length=200)
    source_language = forms.ChoiceField(choices=LANGUAGE_CHOICES, initial="en")
    target_language = forms.ChoiceField(choices=LANGUAGE_CHOICES, initial="en")
    default_mode = forms.ChoiceField(choices=Mode.choices, initial=Mode.MEDIUM)
    voice_memory = forms.BooleanField(required=False, initial=True)
    privacy_mode = forms.BooleanField(required=False)


class EpisodeForm(forms.Form):
    season = forms.IntegerField(min_value=1, max_value=NUMBER_MAX, initial=1)
    number = forms.IntegerField(min_value=1, max_value=NUMBER_MAX)
    title = forms.CharField(max_length=200, required=False)
    file = forms.FileField()

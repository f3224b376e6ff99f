package platform

import (
	"errors"
	"testing"
)

func TestClassifyWinError(t *testing.T) {
	raw := errors.New("windows says no")
	tests := []struct {
		code     uint32
		denied   bool
		canceled bool
	}{
		{5, true, false},          // ERROR_ACCESS_DENIED
		{0x80070005, true, false}, // E_ACCESSDENIED
		{1223, false, true},       // ERROR_CANCELLED
		{0x800704C7, false, true}, // its HRESULT
		{0x80092004, false, false},
		{0, false, false},
	}
	for _, tt := range tests {
		err := classifyWinError("add to "+CurrentUserRoot.String(), tt.code, raw)
		if errors.Is(err, ErrAccessDenied) != tt.denied || errors.Is(err, ErrCancelled) != tt.canceled || !errors.Is(err, raw) {
			t.Errorf("classifyWinError(%#x) = %v: denied %v, cancelled %v, want %v, %v", tt.code, err, errors.Is(err, ErrAccessDenied), errors.Is(err, ErrCancelled), tt.denied, tt.canceled)
		}
	}
}
